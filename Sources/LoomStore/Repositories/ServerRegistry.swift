import Foundation
import PostgresNIO

/// The `loom serve` processes sharing the database. Each beats regularly; runs left `running` by a server that
/// stopped beating are marked failed, so a killed server never leaves runs running forever.
public struct ServerRegistry: Sendable {
    let store: Store

    public func register(_ id: UUID, host: String, pid: Int) async throws {
        try await store.perform {
            try await store.client.query(
                "INSERT INTO servers (id, host, pid) VALUES (\(id), \(host), \(pid)) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()",
                logger: store.logger)
        }
    }

    public func beat(_ id: UUID) async throws {
        try await store.perform {
            try await store.client.query(
                "INSERT INTO servers (id, host, pid) VALUES (\(id), '', 0) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()", logger: store.logger)
        }
    }

    public func deregister(_ id: UUID) async throws {
        try await store.perform {
            try await store.client.query("DELETE FROM servers WHERE id = \(id)", logger: store.logger)
        }
    }

    /// Fails the runs of servers silent for longer than `staleAfter`, forgets those servers, and returns the runs.
    @discardableResult
    public func failOrphanedRuns(staleAfter: Duration) async throws -> [UUID] {
        let seconds = staleAfter.components.seconds
        return try await store.perform {
            let rows = try await store.client.query(
                """
                WITH live AS (SELECT id FROM servers WHERE heartbeat_at > now() - make_interval(secs => \(Double(seconds)))),
                failed AS (
                    UPDATE runs SET status = 'failed', finished_at = now(),
                        error = 'the server running it stopped before the run finished'
                    WHERE status = 'running' AND (server_id IS NULL OR server_id NOT IN (SELECT id FROM live))
                    RETURNING id
                ),
                forgotten AS (DELETE FROM servers WHERE id NOT IN (SELECT id FROM live))
                SELECT id FROM failed
                """, logger: store.logger)
            var failed: [UUID] = []
            for try await id in rows.decode(UUID.self) { failed.append(id) }
            return failed
        }
    }
}
