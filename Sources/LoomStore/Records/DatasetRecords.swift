import Foundation
import LoomWorkflow

/// A dataset: its kind, its embedding model (chunks are embedded with it; samples' questions are matched with it),
/// chunking settings, and its newest version (0 before any change).
public struct DatasetRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var kind: DatasetKind
    public var description: String
    public var embeddingModel: String
    public var dimensions: Int
    public var chunkTokens: Int
    public var chunkOverlap: Int
    public var latestVersion: Int
    public var createdAt: Date
}

/// What `DatasetRepository.create` needs.
public struct DatasetSpec: Sendable {
    public var name: String
    public var kind: DatasetKind
    public var description: String
    public var embeddingModel: String
    public var dimensions: Int
    public var chunkTokens: Int
    public var chunkOverlap: Int

    public init(
        name: String, kind: DatasetKind = .knowledge, description: String = "", embeddingModel: String, dimensions: Int, chunkTokens: Int = 500,
        chunkOverlap: Int = 50
    ) {
        self.name = name
        self.kind = kind
        self.description = description
        self.embeddingModel = embeddingModel
        self.dimensions = dimensions
        self.chunkTokens = chunkTokens
        self.chunkOverlap = chunkOverlap
    }
}

/// One chunk to store with a document version.
public struct ChunkInput: Sendable {
    public var content: String
    public var tokens: Int
    public var metadata: [String: Value]
    public var embedding: [Float]

    public init(content: String, tokens: Int, metadata: [String: Value], embedding: [Float]) {
        self.content = content
        self.tokens = tokens
        self.metadata = metadata
        self.embedding = embedding
    }
}

/// A stored chunk as search and export read it.
public struct ChunkRecord: Sendable, Equatable {
    public var id: Int64
    public var document: String
    public var position: Int
    public var content: String
    public var tokens: Int
    public var metadata: [String: Value]
    public var embedding: [Float]
}

/// A document as one dataset version holds it.
public struct DatasetDocumentRecord: Sendable, Equatable {
    public var name: String
    public var documentVersionId: Int64
    public var sha256: String
    public var chunkCount: Int
    public var tokenCount: Int
    public var metadata: [String: Value]
}

public struct DatasetVersionRecord: Sendable, Equatable {
    public var number: Int
    public var message: String
    /// The documents it holds, or the samples in a samples dataset.
    public var size: Int
    public var createdAt: Date
}

/// What changed between two versions of a dataset, by document name.
public struct DatasetDiff: Sendable, Equatable {
    public var added: [String]
    public var changed: [String]
    public var removed: [String]

    public init(added: [String], changed: [String], removed: [String]) {
        self.added = added
        self.changed = changed
        self.removed = removed
    }
}
