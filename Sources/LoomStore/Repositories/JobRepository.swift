import Foundation
import LoomWorkflow
import PostgresNIO

/// Jobs with leases: a runner claims one (queued, or running with a lapsed lease — its runner died), reports
/// progress (which renews the lease), and finishes or fails it. Dataset uploads wait for their job in `UploadRepository`.
public struct JobRepository: Sendable {
    let store: Store

    static let columns = """
        j.id, j.kind, d.name, j.status, j.payload::text, j.progress::text, j.result::text, j.error, j.attempts, j.created_at, j.finished_at
        """
    typealias Row = (UUID, String, String?, String, String, String, String?, String?, Int, Date, Date?)

    static func record(_ row: Row) -> JobRecord {
        let object = { (text: String?) in text.flatMap { RunRepository.json($0)?.objectValue } }
        return JobRecord(
            id: row.0, kind: row.1, dataset: row.2, status: JobRecord.Status(rawValue: row.3) ?? .failed, payload: object(row.4) ?? [:],
            progress: object(row.5) ?? [:], result: object(row.6), error: row.7, attempts: row.8, createdAt: row.9, finishedAt: row.10)
    }

    public func create(kind: String, dataset: DatasetRecord?, payload: [String: Value]) async throws -> JobRecord {
        let id = UUID()
        let payloadJSON = JSONWriter.string(.object(payload))
        try await store.perform {
            try await store.client.query(
                "INSERT INTO jobs (id, kind, dataset_id, payload) VALUES (\(id), \(kind), \(dataset?.id), \(payloadJSON)::jsonb)", logger: store.logger)
        }
        return try await get(id)
    }

    public func get(_ id: UUID) async throws -> JobRecord {
        try await store.perform {
            for try await row in try await store.client.query(
                "SELECT \(unescaped: Self.columns) FROM jobs j LEFT JOIN datasets d ON d.id = j.dataset_id WHERE j.id = \(id)", logger: store.logger
            ).decode(Row.self) {
                return Self.record(row)
            }
            throw StoreError.jobNotFound(id.lowercasedString)
        }
    }

    public func list(dataset: String? = nil, limit: Int = 50) async throws -> [JobRecord] {
        try await store.perform {
            var jobs: [JobRecord] = []
            for try await row in try await store.client.query(
                """
                SELECT \(unescaped: Self.columns) FROM jobs j LEFT JOIN datasets d ON d.id = j.dataset_id
                WHERE \(dataset)::text IS NULL OR d.name = \(dataset) ORDER BY j.created_at DESC LIMIT \(limit)
                """, logger: store.logger
            ).decode(Row.self) {
                jobs.append(Self.record(row))
            }
            return jobs
        }
    }

    /// Takes the oldest job that is queued, or running under a lease that has lapsed, for `owner` until `lease` ends.
    public func claim(owner: UUID, lease: Duration) async throws -> JobRecord? {
        let seconds = Double(lease.components.seconds)
        return try await store.perform {
            for try await row in try await store.client.query(
                """
                WITH next AS (
                    SELECT id FROM jobs WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < now())
                    ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1
                ), claimed AS (
                    UPDATE jobs j SET status = 'running', lease_owner = \(owner), lease_expires_at = now() + make_interval(secs => \(seconds)),
                        attempts = attempts + 1, started_at = coalesce(started_at, now())
                    FROM next WHERE j.id = next.id RETURNING j.*
                )
                SELECT \(unescaped: Self.columns) FROM claimed j LEFT JOIN datasets d ON d.id = j.dataset_id
                """, logger: store.logger
            ).decode(Row.self) {
                return Self.record(row)
            }
            return nil
        }
    }

    /// Records progress and renews the lease; false when the job is no longer this owner's (it was taken over).
    public func report(_ id: UUID, owner: UUID, progress: [String: Value], lease: Duration) async throws -> Bool {
        let json = JSONWriter.string(.object(progress))
        let seconds = Double(lease.components.seconds)
        return try await store.perform {
            for try await _ in try await store.client.query(
                """
                UPDATE jobs SET progress = \(json)::jsonb, lease_expires_at = now() + make_interval(secs => \(seconds))
                WHERE id = \(id) AND lease_owner = \(owner) AND status = 'running' RETURNING id
                """, logger: store.logger
            ).decode(UUID.self) {
                return true
            }
            return false
        }
    }

    public func finish(_ id: UUID, owner: UUID, result: [String: Value]) async throws {
        let json = JSONWriter.string(.object(result))
        try await store.perform {
            try await store.client.query(
                """
                UPDATE jobs SET status = 'done', result = \(json)::jsonb, error = NULL, finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
                WHERE id = \(id) AND lease_owner = \(owner)
                """, logger: store.logger)
        }
    }

    /// Fails the job for good, or — `retryAfter` set — leaves it to be claimed again once that delay has passed.
    public func fail(_ id: UUID, owner: UUID, error: String, retryAfter: Duration? = nil) async throws {
        try await store.perform {
            if let retryAfter {
                let seconds = Double(retryAfter.components.seconds)
                try await store.client.query(
                    """
                    UPDATE jobs SET error = \(error), lease_expires_at = now() + make_interval(secs => \(seconds))
                    WHERE id = \(id) AND lease_owner = \(owner)
                    """, logger: store.logger)
            } else {
                try await store.client.query(
                    """
                    UPDATE jobs SET status = 'failed', error = \(error), finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = \(id) AND lease_owner = \(owner)
                    """, logger: store.logger)
            }
        }
    }
}
