import Foundation

public struct AppRecord: Sendable, Equatable {
    public var id: Int
    public var slug: String
    public var name: String
    public var mode: String
    public var description: String?
    /// The newest version: what the next publish makes live.
    public var draftVersion: Int?
    public var publishedVersion: Int?
    public var createdAt: Date
    public var updatedAt: Date
}

public struct VersionRecord: Sendable, Equatable {
    public var number: Int
    public var sha256: String
    public var author: String
    public var message: String
    public var format: String
    public var createdAt: Date
    /// Present when one version is fetched, absent in lists.
    public var source: String?
    public var canonicalJSON: String?
}

/// What a deploy did: a new version, or none because the draft already had this content.
public struct DeployResult: Sendable, Equatable {
    public var app: AppRecord
    public var version: Int
    public var created: Bool
}

/// A workflow as a deploy hands it to the store.
public struct VersionSubmission: Sendable {
    public var slug: String
    public var name: String
    public var mode: String
    public var description: String?
    public var source: String
    public var format: String
    public var canonicalJSON: String
    public var sha256: String
    public var author: String
    public var message: String

    public init(
        slug: String, name: String, mode: String, description: String?, source: String, format: String, canonicalJSON: String,
        sha256: String, author: String, message: String
    ) {
        self.slug = slug
        self.name = name
        self.mode = mode
        self.description = description
        self.source = source
        self.format = format
        self.canonicalJSON = canonicalJSON
        self.sha256 = sha256
        self.author = author
        self.message = message
    }
}
