import LoomKnowledge
import LoomStore
import LoomWorkflow

/// Changes to a dataset short of an import: editing one chunk's text (re-embedded, tokens recounted). The edited
/// document is stored as a new document version beside the old one and committed as a new dataset version, so
/// earlier versions still answer with the old text; an edit that races another change is refused, not merged.
struct DatasetEditor: Sendable {
    let store: Store
    let embedder: any TextEmbedder

    /// The chunks of `document` in the dataset's latest version, without their embeddings.
    func chunks(of dataset: DatasetRecord, document: String) async throws -> [ChunkRecord] {
        let chunks = try await store.datasets.chunks(dataset, version: dataset.latestVersion, document: document, embeddings: false)
        guard !chunks.isEmpty else { throw StoreError.documentNotFound(dataset: dataset.name, document: document) }
        return chunks
    }

    /// Replaces chunk `id`'s text; answers the new dataset version and the chunk as stored there (with its new id).
    func editChunk(of dataset: DatasetRecord, document: String, chunk id: Int64, content: String) async throws -> (version: Int, chunk: ChunkRecord) {
        guard !content.allSatisfy(\.isWhitespace) else { throw APIError.invalidParam("a chunk's content must not be blank") }
        let name = dataset.name
        guard let held = try await store.datasets.documents(dataset, version: dataset.latestVersion).first(where: { $0.name == document }) else {
            throw StoreError.documentNotFound(dataset: name, document: document)
        }
        let chunks = try await store.datasets.chunks(dataset, version: dataset.latestVersion, document: document)
        guard let position = chunks.firstIndex(where: { $0.id == id }) else {
            throw StoreError.chunkNotFound(dataset: name, document: document, chunk: id)
        }
        guard let embedding = try await embedder.embed([content], model: dataset.embeddingModel).first else {
            throw APIError(.badGateway, "model_error", "the embedding model '\(dataset.embeddingModel)' answered no vector")
        }
        var inputs = chunks.map { ChunkInput(content: $0.content, tokens: $0.tokens, metadata: $0.metadata, embedding: $0.embedding) }
        inputs[position].content = content
        inputs[position].tokens = TokenCounters.counter(for: dataset.embeddingModel).count(content)
        inputs[position].embedding = embedding
        var fingerprint = ChunkFingerprint()
        for input in inputs { fingerprint.add(text: input.content, metadata: input.metadata) }
        let stored = try await store.datasets.storeDocument(
            dataset: dataset, name: document, sha256: fingerprint.hex(), metadata: held.metadata, chunks: inputs)
        let version = try await store.datasets.commitVersion(
            dataset: name, put: [stored], message: "edit chunk \(chunks[position].position + 1) of \(document)", basedOn: dataset.latestVersion)
        let edited = try await store.datasets.chunks(dataset, version: version, document: document)
        guard edited.indices.contains(position) else { throw StoreError.chunkNotFound(dataset: name, document: document, chunk: id) }
        var chunk = edited[position]
        chunk.embedding = []
        return (version, chunk)
    }
}
