import PostgresNIO

/// Small named values shared by all servers, such as the admin token's hash.
public struct SettingsRepository: Sendable {
    let store: Store

    public static let adminTokenHash = "admin_token_sha256"

    public func get(_ key: String) async throws -> String? {
        try await store.perform {
            for try await value in try await store.client.query("SELECT value FROM settings WHERE key = \(key)", logger: store.logger).decode(String.self) {
                return value
            }
            return nil
        }
    }

    /// Stores the value unless one is already there; returns the value now stored.
    public func setIfAbsent(_ key: String, _ value: String) async throws -> String {
        try await store.perform {
            try await store.client.query(
                "INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO NOTHING", logger: store.logger)
            return try await get(key) ?? value
        }
    }

    public func set(_ key: String, _ value: String) async throws {
        _ = try await store.perform {
            try await store.client.query(
                "INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
                logger: store.logger)
        }
    }
}
