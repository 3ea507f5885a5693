import Foundation
import LoomKnowledge
import LoomStore
import LoomWorkflow

/// Imports documents into a dataset: chunk with the dataset's settings, skip documents whose chunks are already
/// stored (by fingerprint), embed the rest in batches through the embedding model (several documents' chunks
/// together, sorted by length), store each document with its chunks in one transaction, then commit one new
/// dataset version. A failed import loses nothing it stored: run again, it picks up after those documents.
public struct DatasetImporter: Sendable {
    public struct Progress: Sendable, Equatable {
        public var documents: Int
        public var documentsDone = 0
        public var chunks = 0
        public var embedded = 0
        public var seconds = 0.0
    }

    public struct Summary: Sendable, Equatable {
        public var version: Int
        public var stored: Int
        public var unchanged: Int
        public var chunks: Int
        public var tokens: Int
        public var seconds: Double
        /// The stored document versions, to commit later when the import did not commit itself.
        public var documentVersions: [Int64]
    }

    let store: Store
    let embedder: any TextEmbedder
    let counter: any TokenCounter
    var batchSize = 32
    /// Chunks of new documents gathered before they are embedded: what a failed import may have to embed again.
    public var windowChunks = 256

    public init(store: Store, embedder: any TextEmbedder, counter: any TokenCounter) {
        self.store = store
        self.embedder = embedder
        self.counter = counter
    }

    /// Imports the documents and, when `commit` is set, makes them a new version (else `Summary.documentVersions`
    /// can be committed together with other imports' through `DatasetRepository.commitVersion`).
    public func run(
        _ documents: [SourceDocument], into name: String, message: String = "", commit: Bool = true,
        progress: @Sendable (Progress) async -> Void = { _ in }
    ) async throws -> Summary {
        let started = ContinuousClock.now
        let dataset = try await store.datasets.get(name)
        let chunker = TextChunker(maxTokens: dataset.chunkTokens, overlap: dataset.chunkOverlap, counter: counter)
        var state = Progress(documents: documents.count)
        var summary = Summary(version: dataset.latestVersion, stored: 0, unchanged: 0, chunks: 0, tokens: 0, seconds: 0, documentVersions: [])
        var versionIds: [Int64] = []
        // New documents wait here until about `windowChunks` chunks have gathered, so that batches mix documents
        // and group chunks of similar length (the encoder pads every text of a batch to its longest).
        var pending: [(document: SourceDocument, sha256: String, chunks: [TextChunker.Chunk])] = []
        func storePending() async throws {
            let all = pending.indices.flatMap { d in pending[d].chunks.indices.map { (d, $0) } }
                .sorted { pending[$0.0].chunks[$0.1].tokens < pending[$1.0].chunks[$1.1].tokens }
            var vectors = pending.map { [[Float]](repeating: [], count: $0.chunks.count) }
            for start in stride(from: 0, to: all.count, by: batchSize) {
                let batch = all[start..<min(start + batchSize, all.count)]
                let embedded = try await embedder.embed(batch.map { pending[$0.0].chunks[$0.1].text }, model: dataset.embeddingModel)
                for ((d, c), vector) in zip(batch, embedded) { vectors[d][c] = vector }
                state.embedded += batch.count
                state.seconds = (ContinuousClock.now - started).seconds
                await progress(state)
            }
            for (d, entry) in pending.enumerated() {
                let inputs = zip(entry.chunks, vectors[d]).map { chunk, vector in
                    ChunkInput(content: chunk.text, tokens: chunk.tokens, metadata: chunk.metadata, embedding: vector)
                }
                versionIds.append(
                    try await store.datasets.storeDocument(
                        dataset: dataset, name: entry.document.name, sha256: entry.sha256, metadata: entry.document.metadata, chunks: inputs))
                summary.stored += 1
                state.documentsDone += 1
            }
            pending = []
            state.seconds = (ContinuousClock.now - started).seconds
            await progress(state)
        }
        for document in documents {
            var chunks: [TextChunker.Chunk] = []
            var fingerprint = ChunkFingerprint()
            try chunker.chunks(of: document) { chunk in
                chunks.append(chunk)
                fingerprint.add(chunk)
            }
            let sha256 = fingerprint.hex()
            summary.chunks += chunks.count
            summary.tokens += chunks.reduce(0) { $0 + $1.tokens }
            state.chunks += chunks.count
            if let existing = try await store.datasets.documentVersion(dataset: dataset, name: document.name, sha256: sha256) {
                versionIds.append(existing)
                summary.unchanged += 1
                state.documentsDone += 1
                await progress(state)
            } else {
                pending.append((document, sha256, chunks))
                state.seconds = (ContinuousClock.now - started).seconds
                await progress(state)
                if pending.reduce(0, { $0 + $1.chunks.count }) >= windowChunks { try await storePending() }
            }
        }
        if !pending.isEmpty { try await storePending() }
        summary.documentVersions = versionIds
        if commit { summary.version = try await store.datasets.commitVersion(dataset: name, put: versionIds, message: message) }
        summary.seconds = (ContinuousClock.now - started).seconds
        return summary
    }
}
