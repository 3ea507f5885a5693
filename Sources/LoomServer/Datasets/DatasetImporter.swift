import Foundation
import LoomKnowledge
import LoomStore
import LoomWorkflow

/// Imports documents into a dataset: chunk with the dataset's settings, skip documents whose chunks are already
/// stored (by fingerprint), embed the rest in batches through the embedding model, store each document with its
/// chunks in one transaction, then commit one new dataset version. A failed import loses nothing it finished:
/// run again, it picks up after the last stored document.
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
        for document in documents {
            var chunks: [TextChunker.Chunk] = []
            var fingerprint = ChunkFingerprint()
            try chunker.chunks(of: document) { chunk in
                chunks.append(chunk)
                fingerprint.add(chunk)
            }
            let sha256 = fingerprint.hex()
            if let existing = try await store.datasets.documentVersion(dataset: dataset, name: document.name, sha256: sha256) {
                versionIds.append(existing)
                summary.unchanged += 1
            } else {
                var inputs: [ChunkInput] = []
                for start in stride(from: 0, to: chunks.count, by: batchSize) {
                    let batch = chunks[start..<min(start + batchSize, chunks.count)]
                    let vectors = try await embedder.embed(batch.map(\.text), model: dataset.embeddingModel)
                    for (chunk, vector) in zip(batch, vectors) {
                        inputs.append(ChunkInput(content: chunk.text, tokens: chunk.tokens, metadata: chunk.metadata, embedding: vector))
                    }
                    state.embedded += batch.count
                    state.seconds = (ContinuousClock.now - started).seconds
                    await progress(state)
                }
                versionIds.append(
                    try await store.datasets.storeDocument(dataset: dataset, name: document.name, sha256: sha256, metadata: document.metadata, chunks: inputs))
                summary.stored += 1
            }
            summary.chunks += chunks.count
            summary.tokens += chunks.reduce(0) { $0 + $1.tokens }
            state.documentsDone += 1
            state.chunks += chunks.count
            state.seconds = (ContinuousClock.now - started).seconds
            await progress(state)
        }
        summary.documentVersions = versionIds
        if commit { summary.version = try await store.datasets.commitVersion(dataset: name, put: versionIds, message: message) }
        summary.seconds = (ContinuousClock.now - started).seconds
        return summary
    }
}
