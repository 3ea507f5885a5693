import Foundation
import Logging
import LoomKnowledge
import LoomStore
import LoomTestSupport
import Testing

@testable import LoomServer

/// A server's background loops keep trying while the database is away, and leave saying so to the store.
@Suite struct DatabaseOutageLoggingTests {
    /// Never reached: the database is away before any job could be claimed.
    struct UnusedEmbedder: TextEmbedder {
        func embed(_ texts: [String], model: String) async throws -> [[Float]] { throw CancellationError() }
    }

    @Test func theHeartbeatAndTheImportPollerDoNotWarnOnEveryTryWhileTheDatabaseIsAway() async throws {
        let logged = LoggedLines(level: .info)
        let logger = Logger(label: "loom.test") { _ in logged }
        // Nothing listens on port 9: every operation fails at its deadline.
        let configuration = try DatabaseURL.configuration("postgres://nobody@127.0.0.1:9/none")
        try await Store.with(configuration, logger: logger, operationTimeout: .milliseconds(200)) { store in
            var importer = ImportJobRunner(store: store, embedder: UnusedEmbedder(), logger: logger)
            importer.poll = .milliseconds(100)
            let runner = importer
            let presence = ServerPresence(store: store, serverId: UUID(), interval: .milliseconds(100), staleAfter: .seconds(30), logger: logger)
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await presence.run() }
                group.addTask { try await runner.run() }
                // Several tries of each (a try takes the 200 ms deadline, then waits at most 100 ms).
                try? await Task.sleep(for: .milliseconds(1500))
                group.cancelAll()
            }
        }
        let lines = logged.lines
        #expect(lines.filter { $0.hasPrefix("warning the database is unavailable") }.count == 1, "\(lines)")
        #expect(!logged.contains("heartbeat failed"), "\(lines)")
        #expect(!logged.contains("cannot claim import jobs"), "\(lines)")
    }
}
