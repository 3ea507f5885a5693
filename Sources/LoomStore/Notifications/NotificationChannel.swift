import Foundation
import Logging
import PostgresNIO

/// Messages between the server processes sharing a database, over PostgreSQL's LISTEN/NOTIFY: stop requests reach
/// the server running the run; changes to keys and apps reach every server's caches.
public struct NotificationChannel: Sendable {
    /// Payload: a run id to cancel.
    public static let runStops = "loom_run_stop"
    /// Payload: `key:<id>` (revoked) or `app:<id>` (published, rolled back, changed or deleted).
    public static let access = "loom_access"
    /// Payload: `<dataset id>:<version>` (committed) or `<dataset id>:deleted`, sent by the transaction that did it.
    public static let datasets = "loom_datasets"

    let store: Store
    let name: String

    public init(_ name: String, store: Store) {
        self.store = store
        self.name = name
    }

    public func announce(_ payload: String) async throws {
        try await store.perform { [store, name] in
            _ = try await store.client.query("SELECT pg_notify(\(name), \(payload))", logger: store.logger)
        }
    }

    /// Calls `onMessage` for every message until the task is cancelled, listening again after the database comes
    /// back. `onSubscribed` runs each time listening (re)starts: messages sent while it was not listening are lost.
    public func listen(onSubscribed: @escaping @Sendable () async -> Void = {}, _ onMessage: @escaping @Sendable (String) async -> Void) async {
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    try await connection.listen(on: name) { notifications in
                        await onSubscribed()
                        for try await notification in notifications { await onMessage(notification.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                store.logger.warning("notifications interrupted; listening again", metadata: ["channel": "\(name)", "error": "\(StoreError.wrap(error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
