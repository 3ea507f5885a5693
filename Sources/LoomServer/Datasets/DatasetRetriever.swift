import LoomKnowledge
import LoomStore
import LoomWorkflow
import Synchronization

/// Answers `knowledge-retrieval` from PostgreSQL: semantic search in an in-process index per dataset version
/// (exact up to `exactLimit` chunks, HNSW beyond), full-text search in PostgreSQL, hybrid by reciprocal rank fusion. Versions never change once
/// committed, so an index loaded for one stays right in every server process without invalidation; a run that
/// names a dataset without a version reads its latest version from the database each time.
public final class DatasetRetriever: KnowledgeRetriever {
    struct Key: Hashable {
        var dataset: Int64
        var version: Int
    }

    struct LoadedVersion: Sendable {
        var index: any VectorIndex
        var chunks: [Int64: ChunkRecord]
    }

    let store: Store
    let embedder: any TextEmbedder
    /// Versions whose index stays loaded; the least recently loaded goes first.
    let capacity: Int
    let exactLimit: Int
    let hnsw: HNSWIndex.Parameters
    private let loaded = Mutex<[(key: Key, version: LoadedVersion)]>([])

    public init(
        store: Store, embedder: any TextEmbedder, capacity: Int = 16, exactLimit: Int = 20_000, hnsw: HNSWIndex.Parameters = .init()
    ) {
        self.store = store
        self.embedder = embedder
        self.capacity = capacity
        self.exactLimit = exactLimit
        self.hnsw = hnsw
    }

    public func retrieve(_ query: RetrievalQuery) async throws -> [RetrievedChunk] {
        var results: [RetrievedChunk] = []
        for reference in query.datasets {
            results += try await retrieve(query, from: reference)
        }
        return Array(results.sorted { $0.score > $1.score || ($0.score == $1.score && $0.chunkId < $1.chunkId) }.prefix(query.topK))
    }

    func retrieve(_ query: RetrievalQuery, from reference: DatasetReference) async throws -> [RetrievedChunk] {
        let dataset = try await store.datasets.get(reference.name)
        guard dataset.latestVersion > 0 else { return [] }
        let number = try store.datasets.resolve(dataset, version: reference.version)
        let version = try await load(dataset, number)
        let matches = { (id: Int64) in version.chunks[id].map { Self.matches($0.metadata, query.filters) } ?? false }
        // Filters apply before the cut, so every mode fetches more than it returns when they are set.
        let depth = query.filters.isEmpty ? query.topK * 2 : version.index.count
        var scored: [(id: Int64, score: Double)] = []
        switch query.mode {
        case .semantic:
            scored = try await semantic(query.query, dataset, version, depth).filter { matches($0.id) }
        case .fulltext:
            scored = try await store.datasets.fullTextSearch(dataset.name, version: number, query: query.query, limit: depth).filter { matches($0.id) }
        case .hybrid:
            let meaning = try await semantic(query.query, dataset, version, depth).filter { matches($0.id) }
            let words = try await store.datasets.fullTextSearch(dataset.name, version: number, query: query.query, limit: depth).filter { matches($0.id) }
            scored = RankFusion.reciprocal([meaning.map(\.id), words.map(\.id)])
        }
        if let threshold = query.scoreThreshold { scored = scored.filter { $0.score >= threshold } }
        return scored.prefix(query.topK).compactMap { result in
            version.chunks[result.id].map {
                RetrievedChunk(
                    content: $0.content, score: result.score, dataset: dataset.name, version: number, document: $0.document, chunkId: $0.id,
                    metadata: $0.metadata)
            }
        }
    }

    func semantic(_ text: String, _ dataset: DatasetRecord, _ version: LoadedVersion, _ depth: Int) async throws -> [(id: Int64, score: Double)] {
        guard let vector = try await embedder.embed([text], model: dataset.embeddingModel).first else { return [] }
        return try version.index.search(vector, k: depth).map { ($0.id, Double($0.score)) }
    }

    static func matches(_ metadata: [String: Value], _ filters: [String: Value]) -> Bool {
        filters.allSatisfy { metadata[$0.key] == $0.value }
    }

    func load(_ dataset: DatasetRecord, _ number: Int) async throws -> LoadedVersion {
        let key = Key(dataset: dataset.id, version: number)
        if let cached = loaded.withLock({ $0.first { $0.key == key }?.version }) { return cached }
        let records = try await store.datasets.chunks(dataset.name, version: number)
        var index = VectorIndexes.make(dimensions: dataset.dimensions, count: records.count, exactLimit: exactLimit, parameters: hnsw)
        var chunks: [Int64: ChunkRecord] = [:]
        for var chunk in records {
            try index.add(id: chunk.id, vector: chunk.embedding)
            chunk.embedding = []
            chunks[chunk.id] = chunk
        }
        let version = LoadedVersion(index: index, chunks: chunks)
        loaded.withLock { entries in
            if !entries.contains(where: { $0.key == key }) { entries.append((key, version)) }
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
        return version
    }
}
