/// Search over knowledge datasets, as the `knowledge-retrieval` node reaches it: the server answers it from
/// PostgreSQL and its in-process indexes.
public protocol KnowledgeRetriever: Sendable {
    func retrieve(_ query: RetrievalQuery) async throws -> [RetrievedChunk]
}

/// A dataset as a workflow names it: `handbook` (its latest version at each run) or `handbook@3` (pinned).
public struct DatasetReference: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var version: Int?

    public init(name: String, version: Int? = nil) {
        self.name = name
        self.version = version
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty else { return nil }
        if parts.count == 2 {
            guard let version = Int(parts[1]), version >= 1 else { return nil }
            self.init(name: String(parts[0]), version: version)
        } else {
            self.init(name: String(parts[0]))
        }
    }

    public var description: String { version.map { "\(name)@\($0)" } ?? name }
}

public enum RetrievalMode: String, Sendable, CaseIterable {
    case semantic, fulltext, hybrid
}

public struct RetrievalQuery: Sendable {
    public var query: String
    public var datasets: [DatasetReference]
    public var mode: RetrievalMode
    public var topK: Int
    /// Results scoring below this are dropped (cosine for semantic, the fused score for hybrid, rank for full-text).
    public var scoreThreshold: Double?
    /// Chunks whose metadata holds each of these key/value pairs.
    public var filters: [String: Value]

    public init(
        query: String, datasets: [DatasetReference], mode: RetrievalMode = .hybrid, topK: Int = 4, scoreThreshold: Double? = nil,
        filters: [String: Value] = [:]
    ) {
        self.query = query
        self.datasets = datasets
        self.mode = mode
        self.topK = topK
        self.scoreThreshold = scoreThreshold
        self.filters = filters
    }
}

public struct RetrievedChunk: Sendable, Equatable {
    public var content: String
    public var score: Double
    public var dataset: String
    public var version: Int
    public var document: String
    public var chunkId: Int64
    public var metadata: [String: Value]

    public init(content: String, score: Double, dataset: String, version: Int, document: String, chunkId: Int64, metadata: [String: Value]) {
        self.content = content
        self.score = score
        self.dataset = dataset
        self.version = version
        self.document = document
        self.chunkId = chunkId
        self.metadata = metadata
    }

    public var value: Value {
        [
            "content": .string(content), "score": .double(score), "dataset": .string(dataset), "version": .int(version),
            "document": .string(document), "chunk_id": .int(Int(chunkId)), "metadata": .object(metadata),
        ]
    }
}
