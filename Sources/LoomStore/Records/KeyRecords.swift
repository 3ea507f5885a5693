import Foundation

public struct APIKeyRecord: Sendable, Equatable {
    public var id: UUID
    public var app: String
    /// The first characters of the key, enough to recognise it.
    public var prefix: String
    public var name: String
    public var createdAt: Date
    public var revokedAt: Date?
}

/// What a valid app key opens.
public struct KeyGrant: Sendable, Equatable {
    public var keyId: UUID
    public var appId: Int
    public var app: String
    public var mode: String
    public var publishedVersion: Int?
}
