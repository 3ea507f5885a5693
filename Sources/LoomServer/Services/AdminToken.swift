import Logging
import LoomStore

/// Where the admin token comes from: `LOOM_ADMIN_TOKEN`; else the hash stored by an earlier start; else a new
/// token, stored as a hash and shown once.
enum AdminToken {
    /// Returns the hash requests are checked against.
    static func prepare(configured: String?, store: Store, logger: Logger, show: @Sendable (String) -> Void) async throws -> String {
        if let configured { return Secret.hash(configured) }
        if let stored = try await store.settings.get(SettingsRepository.adminTokenHash) { return stored }
        let token = Secret.generate(prefix: "loom-admin")
        let stored = try await store.settings.setIfAbsent(SettingsRepository.adminTokenHash, Secret.hash(token))
        // Another server may have stored its own first; then that one is the token.
        if stored == Secret.hash(token) { show(token) }
        return stored
    }
}
