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

/// Checks `Authorization: Bearer …`: app keys against the store on every request (so a revoked key fails at
/// once), the admin token against its hash.
struct Authenticator: Sendable {
    let store: Store
    let adminTokenHash: String

    private func bearer(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError.unauthorized("send the key as 'Authorization: Bearer <key>'")
        }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    func admin(_ request: Request) throws {
        let token = try bearer(request)
        guard Secret.equalInConstantTime(Secret.hash(token), adminTokenHash) else {
            throw APIError.unauthorized("this is not the admin token")
        }
    }

    /// The app a key opens; with `slug` (the `/apps/{app}/v1` routes) the key must belong to that app.
    func app(_ request: Request, slug: String?) async throws -> AppAccess {
        let key = try bearer(request)
        guard let grant = try await store.keys.grant(for: key) else {
            throw APIError.unauthorized("unknown or revoked API key")
        }
        if let slug, slug != grant.app {
            throw APIError.forbidden("this key belongs to app '\(grant.app)', not '\(slug)'")
        }
        return AppAccess(appId: grant.appId, slug: grant.app, mode: grant.mode, publishedVersion: grant.publishedVersion)
    }

    /// For admin routes that act as an app (`loom call`).
    func adminActingAs(_ request: Request, slug: String) async throws -> AppAccess {
        try admin(request)
        let app = try await store.apps.get(slug)
        return AppAccess(appId: app.id, slug: app.slug, mode: app.mode, publishedVersion: app.publishedVersion)
    }
}
