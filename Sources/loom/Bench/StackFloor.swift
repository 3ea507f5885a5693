import Foundation
import Hummingbird
import Logging
import LoomServer
import LoomStore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The HTTP server and PostgreSQL driver Loom is built on, with none of Loom's work: a handler that reads the body,
/// writes one row and answers. `loom bench http` drives it like Loom, so its figures say how much of the database's
/// ceiling the stack itself leaves, and how much Loom's own work (keys, the engine, the run with its node runs) costs.
enum StackFloor {
    enum Write: String, CaseIterable {
        /// One INSERT per request, in its own transaction: pgbench's reference behind an HTTP server.
        case perRequest = "floor per request"
        /// Requests wait for a batch that holds their row, as Loom's run journal batches runs.
        case groupCommit = "floor group commit"
    }

    /// Serves `POST /floor` until the service group shuts down; tells the port once listening.
    static func application(_ write: Write, store: Store, onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let batches = GroupCommit(store: store)
        let router = Router()
        router.post("/floor") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 16)
            let id = Int.random(in: 1...Int(Int32.max))
            switch write {
            case .perRequest:
                for try await _ in try await store.client.execute(InsertRows(ids: [id]), logger: store.logger) {}
            case .groupCommit:
                try await batches.record(id)
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"succeeded"}"#)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: write == .groupCommit ? [batches] : [],
            onServerRunning: { await onListening($0.localAddress?.port ?? 0) }, logger: Logger(label: "loom.bench.floor"))
    }

    /// Rows of the table pgbench's insert reference creates (`PgbenchRun.insertTPS` runs first).
    struct InsertRows: PostgresPreparedStatement {
        static let sql = "INSERT INTO bench_rows (id, note) SELECT unnest($1::bigint[]), 'one recorded run'"
        typealias Row = Void
        var ids: [Int]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(ids)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Rows wait in a queue; one loop writes them in batches, as many at once as Loom's journal.
    final class GroupCommit: Service, Sendable {
        private struct State {
            var pending: [(id: Int, written: CheckedContinuation<Void, any Error>)] = []
            /// The loop has stopped: nothing queued would be written.
            var closed = false
        }

        private let state = Mutex(State())
        private let writing = Atomic<Int>(0)
        private let wake: AsyncStream<Void>.Continuation
        private let wakeups: AsyncStream<Void>
        private let store: Store

        init(store: Store) {
            (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            self.store = store
        }

        func record(_ id: Int) async throws {
            try await withCheckedThrowingContinuation { written in
                let queued = state.withLock { state in
                    if !state.closed { state.pending.append((id, written)) }
                    return !state.closed
                }
                guard queued else { return written.resume(throwing: CancellationError()) }
                wake.yield()
            }
        }

        func run() async throws {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    for await _ in wakeups {
                        while writing.load(ordering: .relaxed) < LoomServer.concurrentRunWrites {
                            let batch = state.withLock { state in
                                defer { state.pending = [] }
                                return state.pending
                            }
                            guard !batch.isEmpty else { break }
                            writing.wrappingAdd(1, ordering: .relaxed)
                            group.addTask {
                                do {
                                    for try await _ in try await self.store.client.execute(InsertRows(ids: batch.map(\.id)), logger: self.store.logger) {}
                                    for entry in batch { entry.written.resume() }
                                } catch {
                                    for entry in batch { entry.written.resume(throwing: error) }
                                }
                                self.writing.wrappingSubtract(1, ordering: .relaxed)
                                self.wake.yield()
                            }
                        }
                    }
                }
            } onGracefulShutdown: { [wake] in
                wake.finish()
            }
            let unwritten = state.withLock { state in
                state.closed = true
                defer { state.pending = [] }
                return state.pending
            }
            for entry in unwritten { entry.written.resume(throwing: CancellationError()) }
        }
    }
}
