import AsyncHTTPClient

/// A server started for one test. `start` runs it and reports the port it listens on; `body` gets that port and an
/// HTTP client. However `body` ends, the server is cancelled and the client shut down; a server that fails before
/// it listens fails the test with its own error instead of leaving it waiting for a port.
public enum ListeningService {
    public struct StoppedBeforeListening: Error {}

    public static func with<T: Sendable>(
        _ start: @escaping @Sendable (_ onListening: @escaping @Sendable (Int) async -> Void) async throws -> Void,
        _ body: (_ port: Int, _ client: HTTPClient) async throws -> T
    ) async throws -> T {
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { announce.finish() }
                try await start { announce.yield($0) }
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.next()
                throw StoppedBeforeListening()
            }
            defer { group.cancelAll() }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let result = try await body(port, client)
                try await client.shutdown()
                return result
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }
}
