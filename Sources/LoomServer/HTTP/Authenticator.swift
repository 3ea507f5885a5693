import Foundation
import Hummingbird
import LoomStore

/// The app a request may use.
struct AppAccess: Sendable {
    var appId: Int
    var slug: String
    var mode: String
    var publishedVersion: Int?
}

/// Checks `Authorization: Bearer …`: app keys against the store through the access cache (revocation evicts
/// them everywhere), the admin token against its hash.
struct Authenticator: Sendable {
    let store: Store
    let adminTokenHash: String
    let cache: AccessCache

    func bearer(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.utf8.count > 7,
            header.utf8.prefix(7).map({ $0 | 0x20 }) == Array("bearer ".utf8)
        else {
            throw APIError.unauthorized("send the key as 'Authorization: Bearer <key>'")
        }
        return String(header.dropFirst(7).drop { $0 == " " })
    }

    func admin(_ request: Request) throws {
        let token = try bearer(request)
        guard Secret.equalInConstantTime(Secret.hash(token), adminTokenHash) else {
            throw APIError.unauthorized("this is not the admin token")
        }
    }

    /// The app a key opens; with `slug` (the `/apps/{app}/v1` routes) the key must belong to that app.
    func app(_ request: Request, slug: String?) async throws -> AppAccess {
        let hash = Secret.hash(try bearer(request))
        let grant: KeyGrant
        if let cached = cache.grant(hash: hash) {
            grant = cached
        } else {
            guard let found = try await store.keys.grant(hash: hash) else { throw APIError.unauthorized("unknown or revoked API key") }
            cache.remember(found, hash: hash)
            grant = found
        }
        if let slug, slug != grant.app {
            throw APIError.forbidden("this key belongs to app '\(grant.app)', not '\(slug)'")
        }
        return AppAccess(appId: grant.appId, slug: grant.app, mode: grant.mode, publishedVersion: grant.publishedVersion)
    }

    /// The knowledge API (`/v1/datasets`): a dataset key, or the admin token. Keys are checked on every request,
    /// so a revoked one is refused at once.
    func datasets(_ request: Request) async throws {
        let hash = Secret.hash(try bearer(request))
        if Secret.equalInConstantTime(hash, adminTokenHash) { return }
        guard try await store.keys.isDatasetKey(hash: hash) else {
            if try await store.keys.grant(hash: hash) != nil {
                throw APIError.forbidden("this is an app key; the knowledge API takes a dataset key (loom keys create --datasets)")
            }
            throw APIError.unauthorized("unknown or revoked dataset key")
        }
    }

    /// For admin routes that act as an app (`loom call`).
    func adminActingAs(_ request: Request, slug: String) async throws -> AppAccess {
        try admin(request)
        let app = try await store.apps.get(slug)
        return AppAccess(appId: app.id, slug: app.slug, mode: app.mode, publishedVersion: app.publishedVersion)
    }
}

/// Announces changes to keys and apps so every server's access cache forgets what they change.
struct AccessChanges: Sendable {
    let store: Store
    let cache: AccessCache

    func appChanged(_ id: Int) async {
        await announce(AccessCache.appMessage(id))
    }

    func keyRevoked(_ id: UUID) async {
        await announce(AccessCache.keyMessage(id))
    }

    private func announce(_ message: String) async {
        cache.apply(message)
        do {
            try await NotificationChannel(NotificationChannel.access, store: store).announce(message)
        } catch {
            // Other servers still drop the entry when it expires.
            store.logger.warning("could not announce an access change", metadata: ["change": "\(message)", "error": "\(error)"])
        }
    }
}
