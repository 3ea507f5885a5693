import LoomKnowledge
import LoomStore
import LoomWorkflow
import Synchronization

/// Answers `knowledge-retrieval` from PostgreSQL: semantic search in an in-process index per dataset version
/// (exact up to `exactLimit` chunks, HNSW beyond), full-text search in PostgreSQL, hybrid by reciprocal rank fusion. Versions never change once
/// committed, so an index loaded for one stays right in every server process without invalidation; a run that
/// names a dataset without a version reads its latest version from the database each time. Notifications of new
/// versions (`apply`) load them ahead of the first query, so the first search after an import is not the slow one.
public final class DatasetRetriever: KnowledgeRetriever {
    struct Key: Hashable {
        var dataset: Int64
        var version: Int
    }

    struct Entry {
        var key: Key
        var dataset: DatasetRecord
        var loading: Task<LoadedVersion, any Error>
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
    private let loaded = Mutex<[Entry]>([])

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
        var vectors = QueryVectors(text: query.query, embedder: embedder)
        for reference in query.datasets {
            results += try await retrieve(query, from: reference, vectors: &vectors)
        }
        return Array(results.sorted { $0.score > $1.score || ($0.score == $1.score && $0.chunkId < $1.chunkId) }.prefix(query.topK))
    }

    func retrieve(_ query: RetrievalQuery, from reference: DatasetReference, vectors: inout QueryVectors) async throws -> [RetrievedChunk] {
        let dataset = try await store.datasets.get(reference.name)
        guard dataset.kind == .knowledge else {
            throw StoreError.wrongDatasetKind(dataset: dataset.name, kind: dataset.kind.rawValue, needed: DatasetKind.knowledge.rawValue)
        }
        guard dataset.latestVersion > 0 else { return [] }
        let number = try store.datasets.resolve(dataset, version: reference.version)
        let version = try await load(dataset, number)
        let matches = { (id: Int64) in version.chunks[id].map { Self.matches($0.metadata, query.filters) } ?? false }
        // Filters apply before the cut, so every mode fetches more than it returns when they are set.
        let depth = query.filters.isEmpty ? query.topK * 2 : version.index.count
        var scored: [(id: Int64, score: Double)] = []
        switch query.mode {
        case .semantic:
            scored = try semantic(try await vectors.vector(for: dataset.embeddingModel), version, depth).filter { matches($0.id) }
        case .fulltext:
            scored = try await store.datasets.fullTextSearch(dataset, version: number, query: query.query, limit: depth).filter { matches($0.id) }
        case .hybrid:
            let meaning = try semantic(try await vectors.vector(for: dataset.embeddingModel), version, depth).filter { matches($0.id) }
            let words = try await store.datasets.fullTextSearch(dataset, version: number, query: query.query, limit: depth).filter { matches($0.id) }
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

    func semantic(_ vector: [Float], _ version: LoadedVersion, _ depth: Int) throws -> [(id: Int64, score: Double)] {
        try version.index.search(vector, k: depth).map { ($0.id, Double($0.score)) }
    }

    /// The query embedded once per embedding model, however many datasets of that model it searches.
    struct QueryVectors {
        let text: String
        let embedder: any TextEmbedder
        private var byModel: [String: [Float]] = [:]

        init(text: String, embedder: any TextEmbedder) {
            self.text = text
            self.embedder = embedder
        }

        mutating func vector(for model: String) async throws -> [Float] {
            if let known = byModel[model] { return known }
            let vector = try await embedder.embed([text], model: model).first ?? []
            byModel[model] = vector
            return vector
        }
    }

    static func matches(_ metadata: [String: Value], _ filters: [String: Value]) -> Bool {
        filters.allSatisfy { metadata[$0.key] == $0.value }
    }

    /// The version's index, loaded once: concurrent first queries share one load (an HNSW graph takes seconds).
    func load(_ dataset: DatasetRecord, _ number: Int) async throws -> LoadedVersion {
        try await entry(dataset, number).value
    }

    /// The load of a version, started when there is none. The task belongs to the cache, not to the query that
    /// started it, so a cancelled query does not cancel the others'; a failed load leaves the cache to be tried again.
    func entry(_ dataset: DatasetRecord, _ number: Int) -> Task<LoadedVersion, any Error> {
        let key = Key(dataset: dataset.id, version: number)
        return loaded.withLock { entries in
            if let found = entries.first(where: { $0.key == key }) { return found.loading }
            let loading = Task {
                do {
                    return try await self.build(dataset, number)
                } catch {
                    self.loaded.withLock { $0.removeAll { $0.key == key } }
                    throw error
                }
            }
            entries.append(Entry(key: key, dataset: dataset, loading: loading))
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
            return loading
        }
    }

    /// A `NotificationChannel.datasets` message: a new version of a dataset this server has searched starts loading
    /// in place of its older ones (a pinned version loads again when asked for); a deleted dataset's indexes go.
    func apply(_ payload: String) {
        let parts = payload.split(separator: ":")
        guard parts.count == 2, let id = Int64(parts[0]) else { return }
        guard let number = Int(parts[1]) else {
            if parts[1] == "deleted" { loaded.withLock { $0.removeAll { $0.key.dataset == id } } }
            return
        }
        let known = loaded.withLock { entries in
            let dataset = entries.last { $0.key.dataset == id }?.dataset
            entries.removeAll { $0.key.dataset == id && $0.key.version < number }
            return dataset
        }
        guard var dataset = known else { return }
        dataset.latestVersion = max(dataset.latestVersion, number)
        _ = entry(dataset, number)
    }

    /// The versions whose index is loaded or loading, for tests and diagnostics.
    var loadedVersions: [(dataset: Int64, version: Int)] {
        loaded.withLock { $0.map { ($0.key.dataset, $0.key.version) } }
    }

    func build(_ dataset: DatasetRecord, _ number: Int) async throws -> LoadedVersion {
        let records = try await store.datasets.chunks(dataset, version: number)
        var index = VectorIndexes.make(dimensions: dataset.dimensions, count: records.count, exactLimit: exactLimit, parameters: hnsw)
        var chunks: [Int64: ChunkRecord] = [:]
        for var chunk in records {
            try index.add(id: chunk.id, vector: chunk.embedding)
            chunk.embedding = []
            chunks[chunk.id] = chunk
        }
        return LoadedVersion(index: index, chunks: chunks)
    }
}
