import Foundation
import PostgresNIO

/// App keys: shown once when created, stored as SHA-256 hashes, recognisable by their prefix.
public struct KeyRepository: Sendable {
    let store: Store

    /// The key's visible part: `loom-` and its first 8 random characters.
    static let prefixLength = 13

    /// Creates a key for the app; the plaintext is returned here and never again.
    public func create(app slug: String, name: String = "") async throws -> (record: APIKeyRecord, secret: String) {
        let app = try await store.apps.get(slug)
        let secret = Secret.generate(prefix: "loom")
        let id = UUID()
        let prefix = String(secret.prefix(Self.prefixLength))
        return try await store.perform {
            var created = Date()
            for try await date in try await store.client.query(
                """
                INSERT INTO api_keys (id, app_id, prefix, secret_hash, name) VALUES (\(id), \(app.id), \(prefix), \(Secret.hash(secret)), \(name))
                RETURNING created_at
                """, logger: store.logger
            ).decode(Date.self) {
                created = date
            }
            return (APIKeyRecord(id: id, app: slug, prefix: prefix, name: name, createdAt: created, revokedAt: nil), secret)
        }
    }

    public func list(app slug: String? = nil) async throws -> [APIKeyRecord] {
        try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT * FROM (
                    SELECT k.id, a.slug, k.prefix, k.name, k.created_at, k.revoked_at FROM api_keys k JOIN apps a ON a.id = k.app_id
                    WHERE \(slug)::text IS NULL OR a.slug = \(slug)
                    UNION ALL
                    SELECT id, \(Self.datasetScope), prefix, name, created_at, revoked_at FROM dataset_keys
                    WHERE \(slug)::text IS NULL OR \(slug) = \(Self.datasetScope)
                ) keys ORDER BY created_at
                """, logger: store.logger)
            var keys: [APIKeyRecord] = []
            for try await row in rows.decode((UUID, String, String, String, Date, Date?).self) {
                keys.append(APIKeyRecord(id: row.0, app: row.1, prefix: row.2, name: row.3, createdAt: row.4, revokedAt: row.5))
            }
            return keys
        }
    }

    /// Revokes the key (an app key or a dataset key); the next request with it is refused.
    public func revoke(_ id: UUID) async throws {
        try await store.perform {
            var found = false
            for try await _ in try await store.client.query(
                """
                WITH app AS (UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) RETURNING id),
                     dataset AS (UPDATE dataset_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) RETURNING id)
                SELECT id FROM app UNION ALL SELECT id FROM dataset
                """, logger: store.logger
            ).decode(UUID.self) {
                found = true
            }
            if !found { throw StoreError.keyNotFound(id.lowercasedString) }
        }
    }

    /// Creates a key for the knowledge API; the plaintext is returned here and never again. Listed under the app
    /// name `datasets`.
    public func createDatasetKey(name: String = "") async throws -> (record: APIKeyRecord, secret: String) {
        let secret = Secret.generate(prefix: "dataset")
        let id = UUID()
        let prefix = String(secret.prefix(Self.prefixLength + 3))
        return try await store.perform {
            var created = Date()
            for try await date in try await store.client.query(
                "INSERT INTO dataset_keys (id, prefix, secret_hash, name) VALUES (\(id), \(prefix), \(Secret.hash(secret)), \(name)) RETURNING created_at",
                logger: store.logger
            ).decode(Date.self) {
                created = date
            }
            return (APIKeyRecord(id: id, app: Self.datasetScope, prefix: prefix, name: name, createdAt: created, revokedAt: nil), secret)
        }
    }

    /// What `list` shows as the app of a dataset key.
    public static let datasetScope = "datasets"

    /// Whether this is a dataset key that is not revoked (checked on every request, so revocation is immediate).
    public func isDatasetKey(hash: String) async throws -> Bool {
        try await store.perform {
            for try await _ in try await store.client.query(
                "SELECT 1 FROM dataset_keys WHERE secret_hash = \(hash) AND revoked_at IS NULL", logger: store.logger
            ).decode(Int.self) {
                return true
            }
            return false
        }
    }

    /// The app a key opens, or nil when the key is unknown or revoked.
    public func grant(for secret: String) async throws -> KeyGrant? {
        try await grant(hash: Secret.hash(secret))
    }

    public func grant(hash: String) async throws -> KeyGrant? {
        try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT k.id, a.id, a.slug, a.mode, a.published_version FROM api_keys k JOIN apps a ON a.id = k.app_id
                WHERE k.secret_hash = \(hash) AND k.revoked_at IS NULL
                """, logger: store.logger)
            for try await row in rows.decode((UUID, Int, String, String, Int?).self) {
                return KeyGrant(keyId: row.0, appId: row.1, app: row.2, mode: row.3, publishedVersion: row.4)
            }
            return nil
        }
    }
}
