import Foundation
import PostgresNIO

/// Apps, their immutable versions, and which version is published.
public struct AppRepository: Sendable {
    let store: Store

    static let appColumns = "a.id, a.slug, a.name, a.mode, a.description, a.draft_version, a.published_version, a.created_at, a.updated_at"
    typealias AppRow = (Int, String, String, String, String?, Int?, Int?, Date, Date)

    static func app(_ row: AppRow) -> AppRecord {
        AppRecord(
            id: row.0, slug: row.1, name: row.2, mode: row.3, description: row.4, draftVersion: row.5, publishedVersion: row.6,
            createdAt: row.7, updatedAt: row.8)
    }

    /// Creates the app or updates its draft. Content equal to the current draft creates no version.
    public func deploy(_ submission: VersionSubmission) async throws -> DeployResult {
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                let upsert: PostgresQuery = """
                    INSERT INTO apps AS a (slug, name, mode, description) VALUES (\(submission.slug), \(submission.name), \(submission.mode), \(submission.description))
                    ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, mode = EXCLUDED.mode, description = EXCLUDED.description
                    RETURNING a.id, a.draft_version
                    """
                var appId = 0
                var draft: Int?
                for try await (id, version) in try await connection.query(upsert, logger: store.logger).decode((Int, Int?).self) {
                    appId = id
                    draft = version
                }
                if let draft {
                    let rows = try await connection.query(
                        "SELECT sha256 FROM workflow_versions WHERE app_id = \(appId) AND number = \(draft)", logger: store.logger)
                    for try await sha in rows.decode(String.self) where sha == submission.sha256 {
                        return DeployResult(app: try await Self.load(appId, connection, store), version: draft, created: false)
                    }
                }
                var number = 1
                for try await next in try await connection.query(
                    "SELECT coalesce(max(number), 0) + 1 FROM workflow_versions WHERE app_id = \(appId)", logger: store.logger
                ).decode(Int.self) {
                    number = next
                }
                try await connection.query(
                    """
                    INSERT INTO workflow_versions (app_id, number, source, source_format, canonical_json, sha256, author, message)
                    VALUES (\(appId), \(number), \(submission.source), \(submission.format), \(submission.canonicalJSON)::jsonb,
                            \(submission.sha256), \(submission.author), \(submission.message))
                    """, logger: store.logger)
                try await connection.query(
                    "UPDATE apps SET draft_version = \(number), updated_at = now() WHERE id = \(appId)", logger: store.logger)
                return DeployResult(app: try await Self.load(appId, connection, store), version: number, created: true)
            }
        }
    }

    static func load(_ id: Int, _ connection: PostgresConnection, _ store: Store) async throws -> AppRecord {
        let query: PostgresQuery = "SELECT \(unescaped: appColumns) FROM apps a WHERE a.id = \(id)"
        for try await row in try await connection.query(query, logger: store.logger).decode(AppRow.self) { return app(row) }
        throw StoreError.conflict("app \(id) vanished during the transaction")
    }

    public func list() async throws -> [AppRecord] {
        try await store.perform {
            let rows = try await store.client.query("SELECT \(unescaped: Self.appColumns) FROM apps a ORDER BY a.slug", logger: store.logger)
            var apps: [AppRecord] = []
            for try await row in rows.decode(AppRow.self) { apps.append(Self.app(row)) }
            return apps
        }
    }

    public func find(_ slug: String) async throws -> AppRecord? {
        try await store.perform {
            let rows = try await store.client.query("SELECT \(unescaped: Self.appColumns) FROM apps a WHERE a.slug = \(slug)", logger: store.logger)
            for try await row in rows.decode(AppRow.self) { return Self.app(row) }
            return nil
        }
    }

    public func get(_ slug: String) async throws -> AppRecord {
        guard let app = try await find(slug) else { throw StoreError.appNotFound(slug) }
        return app
    }

    /// Deletes the app with its versions, keys, runs and conversations.
    public func delete(_ slug: String) async throws {
        try await store.perform {
            var deleted = false
            for try await _ in try await store.client.query("DELETE FROM apps WHERE slug = \(slug) RETURNING id", logger: store.logger).decode(Int.self) {
                deleted = true
            }
            if !deleted { throw StoreError.appNotFound(slug) }
        }
    }

    public func versions(_ slug: String) async throws -> [VersionRecord] {
        let app = try await get(slug)
        return try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT number, sha256, author, message, source_format, created_at FROM workflow_versions
                WHERE app_id = \(app.id) ORDER BY number
                """, logger: store.logger)
            var versions: [VersionRecord] = []
            for try await (number, sha, author, message, format, created) in rows.decode((Int, String, String, String, String, Date).self) {
                versions.append(VersionRecord(number: number, sha256: sha, author: author, message: message, format: format, createdAt: created))
            }
            return versions
        }
    }

    /// One version with its source as written and its canonical JSON.
    public func version(_ slug: String, _ number: Int) async throws -> VersionRecord {
        let app = try await get(slug)
        return try await version(appId: app.id, slug: slug, number)
    }

    public func version(appId: Int, slug: String, _ number: Int) async throws -> VersionRecord {
        try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT number, sha256, author, message, source_format, created_at, source, canonical_json::text FROM workflow_versions
                WHERE app_id = \(appId) AND number = \(number)
                """, logger: store.logger)
            for try await row in rows.decode((Int, String, String, String, String, Date, String, String).self) {
                return VersionRecord(
                    number: row.0, sha256: row.1, author: row.2, message: row.3, format: row.4, createdAt: row.5, source: row.6,
                    canonicalJSON: row.7)
            }
            throw StoreError.versionNotFound(app: slug, version: number)
        }
    }

    /// Makes `version` (the draft when nil) the one callers run.
    public func publish(_ slug: String, version: Int?, by author: String) async throws -> AppRecord {
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                let app = try await Self.lock(slug, connection, store)
                guard let number = version ?? app.draftVersion else { throw StoreError.versionNotFound(app: slug, version: version ?? 0) }
                var exists = false
                for try await _ in try await connection.query(
                    "SELECT 1 FROM workflow_versions WHERE app_id = \(app.id) AND number = \(number)", logger: store.logger
                ).decode(Int.self) {
                    exists = true
                }
                guard exists else { throw StoreError.versionNotFound(app: slug, version: number) }
                try await connection.query(
                    "INSERT INTO publications (app_id, version, published_by) VALUES (\(app.id), \(number), \(author))", logger: store.logger)
                try await connection.query(
                    "UPDATE apps SET published_version = \(number), updated_at = now() WHERE id = \(app.id)", logger: store.logger)
                return try await Self.load(app.id, connection, store)
            }
        }
    }

    /// Publishes the version that was live before the current one, retracting the publications above it.
    public func rollback(_ slug: String) async throws -> AppRecord {
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                let app = try await Self.lock(slug, connection, store)
                guard let current = app.publishedVersion else { throw StoreError.notPublished(slug) }
                var previous: (id: Int, version: Int)?
                for try await row in try await connection.query(
                    """
                    SELECT id, version FROM publications
                    WHERE app_id = \(app.id) AND retracted_at IS NULL AND version <> \(current)
                    ORDER BY id DESC LIMIT 1
                    """, logger: store.logger
                ).decode((Int, Int).self) {
                    previous = row
                }
                guard let previous else { throw StoreError.nothingToRollBack(slug) }
                try await connection.query(
                    "UPDATE publications SET retracted_at = now() WHERE app_id = \(app.id) AND id > \(previous.id) AND retracted_at IS NULL",
                    logger: store.logger)
                try await connection.query(
                    "UPDATE apps SET published_version = \(previous.version), updated_at = now() WHERE id = \(app.id)", logger: store.logger)
                return try await Self.load(app.id, connection, store)
            }
        }
    }

    static func lock(_ slug: String, _ connection: PostgresConnection, _ store: Store) async throws -> AppRecord {
        let rows = try await connection.query("SELECT \(unescaped: appColumns) FROM apps a WHERE a.slug = \(slug) FOR UPDATE", logger: store.logger)
        for try await row in rows.decode(AppRow.self) { return app(row) }
        throw StoreError.appNotFound(slug)
    }
}
