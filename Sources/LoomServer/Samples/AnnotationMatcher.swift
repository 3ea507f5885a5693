import LoomKnowledge
import LoomStore
import LoomWorkflow
import Synchronization

/// Annotation reply: finds the approved sample whose question is closest to a chat query. The questions of a
/// dataset's latest version are embedded once into an exact index (approved samples number in the hundreds or
/// thousands, where brute force is fastest); a newer version replaces it when it is first asked for.
final class AnnotationMatcher: Sendable {
    struct Match: Sendable {
        var sample: SampleRecord
        var score: Double
    }

    private struct Loaded: Sendable {
        var index: ExactVectorIndex
        var samples: [Int64: SampleRecord]
    }

    static let batchSize = 64

    let store: Store
    let embedder: any TextEmbedder
    private let loaded = Mutex<[Int64: (version: Int, task: Task<Loaded, any Error>)]>([:])

    init(store: Store, embedder: any TextEmbedder) {
        self.store = store
        self.embedder = embedder
    }

    /// The best approved sample at or above the threshold, if any.
    func match(_ query: String, settings: AnnotationSettings) async throws -> Match? {
        guard let threshold = settings.replyThreshold else { return nil }
        let dataset = try await store.datasets.get(settings.dataset)
        guard dataset.kind == .samples, dataset.latestVersion > 0 else { return nil }
        let index: Loaded
        do {
            index = try await load(dataset).value
        } catch {
            // A failed load (the embedding model was down) is tried again by the next query.
            loaded.withLock { loaded in
                if loaded[dataset.id]?.version == dataset.latestVersion { loaded[dataset.id] = nil }
            }
            throw error
        }
        guard index.index.count > 0 else { return nil }
        guard let vector = try await embedder.embed([query], model: dataset.embeddingModel).first,
            let best = try index.index.search(vector, k: 1).first, Double(best.score) >= threshold, let sample = index.samples[best.id]
        else { return nil }
        return Match(sample: sample, score: Double(best.score))
    }

    private func load(_ dataset: DatasetRecord) -> Task<Loaded, any Error> {
        loaded.withLock { loaded in
            if let cached = loaded[dataset.id], cached.version == dataset.latestVersion { return cached.task }
            let (store, embedder) = (self.store, self.embedder)
            let task = Task<Loaded, any Error> {
                let samples = try await store.samples.list(dataset, version: dataset.latestVersion, status: .approved)
                var index = ExactVectorIndex(dimensions: dataset.dimensions)
                var start = 0
                while start < samples.count {
                    let batch = samples[start..<min(start + Self.batchSize, samples.count)]
                    let vectors = try await embedder.embed(batch.map(\.record.question), model: dataset.embeddingModel)
                    for (sample, vector) in zip(batch, vectors) { try index.add(id: sample.id, vector: vector) }
                    start += Self.batchSize
                }
                return Loaded(index: index, samples: Dictionary(uniqueKeysWithValues: samples.map { ($0.id, $0) }))
            }
            loaded[dataset.id] = (dataset.latestVersion, task)
            return task
        }
    }
}
