import Foundation
import Logging
import PostgresNIO

/// Stop requests between server processes, over PostgreSQL's LISTEN/NOTIFY: whichever server receives
/// `POST …/stop` announces it, and the server running the run cancels it.
public struct RunStopChannel: Sendable {
    static let channel = "loom_run_stop"

    let store: Store

    public init(store: Store) {
        self.store = store
    }

    public func announce(_ runId: UUID) async throws {
        try await store.perform {
            try await store.client.query("SELECT pg_notify(\(Self.channel), \(runId.uuidString.lowercased()))", logger: store.logger)
        }
    }

    /// Calls `onStop` for every announced run until the task is cancelled, listening again after the database
    /// comes back from a restart.
    public func listen(_ onStop: @escaping @Sendable (UUID) async -> Void) async {
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        for try await notification in notifications {
                            if let id = UUID(uuidString: notification.payload) { await onStop(id) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                store.logger.warning("stop notifications interrupted; listening again", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
