import LoomKnowledge
import LoomStore
import LoomWorkflow
import Synchronization

/// Answers `knowledge-retrieval` from PostgreSQL: semantic search in an in-process index per dataset version
/// (exact up to `exactLimit` chunks, HNSW beyond) or, with `VectorSearch.pgvector`, in PostgreSQL; full-text search
/// in PostgreSQL; hybrid by reciprocal rank fusion. Versions never change once committed, so an index loaded for
/// one stays right in every server process without invalidation; a run that names a dataset without a version
/// reads its latest version from the database each time. Notifications of new versions (`apply`) load them ahead
/// of the first query, so the first search after an import is not the slow one.
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

    struct LoadedVersion: SearchableVersion {
        var index: any VectorIndex
        var chunks: [Int64: ChunkRecord]

        func nearest(_ vector: [Float], limit: Int, filters: [String: Value]) throws -> [(id: Int64, score: Double)] {
            // The index knows no metadata: with filters, every chunk is ranked before they apply.
            let ranked = try index.search(vector, k: filters.isEmpty ? limit : index.count)
            return ranked.lazy.filter { chunks[$0.id].map { DatasetRetriever.matches($0.metadata, filters) } ?? false }
                .prefix(limit).map { ($0.id, Double($0.score)) }
        }

        func chunks(_ ids: [Int64]) -> [Int64: ChunkRecord] {
            var found: [Int64: ChunkRecord] = [:]
            for id in ids { found[id] = chunks[id] }
            return found
        }
    }

    let store: Store
    let embedder: any TextEmbedder
    /// Versions whose index stays loaded; the least recently loaded goes first.
    let capacity: Int
    let exactLimit: Int
    let hnsw: HNSWIndex.Parameters
    let vectorSearch: VectorSearch
    private let loaded = Mutex<[Entry]>([])

    public init(
        store: Store, embedder: any TextEmbedder, vectorSearch: VectorSearch = .inProcess, capacity: Int = 16, exactLimit: Int = 20_000,
        hnsw: HNSWIndex.Parameters = .init()
    ) {
        self.store = store
        self.embedder = embedder
        self.vectorSearch = vectorSearch
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
        let version: any SearchableVersion =
            vectorSearch == .inProcess ? try await load(dataset, number) : PgvectorVersion(store: store, dataset: dataset, number: number)
        let depth = query.topK * 2
        var scored: [(id: Int64, score: Double)] = []
        switch query.mode {
        case .semantic:
            scored = try await version.nearest(try await vectors.vector(for: dataset.embeddingModel), limit: depth, filters: query.filters)
        case .fulltext:
            scored = try await store.datasets.fullTextSearch(dataset, version: number, query: query.query, limit: depth, filters: query.filters)
        case .hybrid:
            let meaning = try await version.nearest(try await vectors.vector(for: dataset.embeddingModel), limit: depth, filters: query.filters)
            let words = try await store.datasets.fullTextSearch(dataset, version: number, query: query.query, limit: depth, filters: query.filters)
            scored = RankFusion.reciprocal([meaning.map(\.id), words.map(\.id)])
        }
        if let threshold = query.scoreThreshold { scored = scored.filter { $0.score >= threshold } }
        let chunks = try await version.chunks(scored.map(\.id))
        // PostgreSQL's `@>` admits a superset of what `matches` does (arrays containing the filter's): equality decides.
        let found = scored.compactMap { result in
            chunks[result.id].flatMap { chunk in
                Self.matches(chunk.metadata, query.filters)
                    ? RetrievedChunk(
                        content: chunk.content, score: result.score, dataset: dataset.name, version: number, document: chunk.document, chunkId: chunk.id,
                        metadata: chunk.metadata)
                    : nil
            }
        }
        return Array(found.prefix(query.topK))
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
    /// With pgvector there is nothing to load.
    func apply(_ payload: String) {
        guard vectorSearch == .inProcess else { return }
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
