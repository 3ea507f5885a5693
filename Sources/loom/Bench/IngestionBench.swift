import Foundation
import Logging
import LoomConnectors
import LoomInference
import LoomKnowledge
import LoomServer
import LoomStore
import LoomWorker
import LoomWorkflow

/// Imports the project's README and docs (several copies under different names) into a scratch database through an
/// in-process embedding worker, as `loom datasets import` would; compares the rate with the embedding model's own
/// on the same chunks; then scores hit@5 of each search mode on `Benchmarks/retrieval/questions.json`.
struct IngestionBench {
    struct Figures {
        var chunks: Int
        var chunksPerSecond: Double
        var modelChunksPerSecond: Double
        var hits: [(mode: RetrievalMode, hits: Int, questions: Int)]
    }

    static let files = ["README.md", "docs/architecture.md", "docs/operations.md", "docs/workflow-format.md"]
    static let questions = "Benchmarks/retrieval/questions.json"

    static func run(copies: Int, threads: Int) async throws -> Figures {
        let cluster = try await BenchDatabase.prepare()
        let database = try await BenchDatabase.createDatabase(on: cluster.url)
        // Torn down whichever way the measurement ends: a scratch cluster must not outlive the benchmark.
        func cleanUp() async {
            await BenchDatabase.dropDatabase(database, on: cluster.url)
            await cluster.tearDown()
        }
        do {
            let figures = try await run(database: database, copies: copies, threads: threads)
            await cleanUp()
            return figures
        } catch {
            await cleanUp()
            throw error
        }
    }

    static func run(database: String, copies: Int, threads: Int) async throws -> Figures {
        let registry = try ModelRegistry.load()
        var workerConfiguration = WorkerServer.Configuration()
        workerConfiguration.port = 0
        workerConfiguration.threads = threads
        var embeddingOnly = registry
        embeddingOnly.entries = registry.entries.filter { $0.name == "minilm-l6" }
        let worker = try WorkerServer(configuration: workerConfiguration, registry: embeddingOnly, logger: Logger(label: "loom.bench"))
        guard let encoder = worker.models.embedding["minilm-l6"]?.encoder else { throw EngineBenchError.reference("minilm-l6 is not installed: run `loom models pull`") }
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        return try await Store.with(try DatabaseURL.configuration(database), logger: Logger(label: "loom.bench")) { store in
            try await MigrationRunner(client: store.client, logger: store.logger).migrate(try Migration.load(from: DatabaseEnvironment.migrations("migrations")))
            let figures: Figures? = try await withThrowingTaskGroup(of: Figures?.self) { group in
                group.addTask {
                    try await worker.run(handleSignals: false, onListening: { announce.yield($0) })
                    return nil
                }
                let port = await ports.first { _ in true } ?? 0
                let provider = OpenAICompatibleProvider(
                    catalog: ModelCatalog(endpoints: ["minilm-l6": ModelEndpoint(name: "minilm-l6", baseURL: "http://127.0.0.1:\(port)/v1", model: "minilm-l6")], defaultName: nil))
                defer { group.cancelAll() }
                do {
                    let figures = try await measure(store: store, provider: provider, encoder: encoder, copies: copies)
                    await provider.shutdown()
                    return figures
                } catch {
                    await provider.shutdown()
                    throw error
                }
            }
            guard let figures else { throw EngineBenchError.reference("the worker stopped before the benchmark ran") }
            return figures
        }
    }

    static func measure(store: Store, provider: OpenAICompatibleProvider, encoder: BertEncoder, copies: Int) async throws -> Figures {
        _ = try await store.datasets.create(DatasetSpec(name: "bench", embeddingModel: "minilm-l6", dimensions: encoder.hidden, chunkTokens: 200, chunkOverlap: 20))
        var documents: [SourceDocument] = []
        for copy in 0..<copies {
            for file in files {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                documents.append(.markdown(name: copy == 0 ? file : "copy\(copy)/\(file)", text: text))
            }
        }
        let importer = DatasetImporter(store: store, embedder: provider, counter: encoder.tokenizer)
        let summary = try await importer.run(documents, into: "bench")

        // The model alone on the same chunks, batched as the worker batches them.
        let chunker = TextChunker(maxTokens: 200, overlap: 20, counter: encoder.tokenizer)
        var texts: [String] = []
        for document in documents { try chunker.chunks(of: document) { texts.append($0.text) } }
        let ids = texts.map { encoder.tokenizer.encode($0, maxLength: encoder.maxTokens) }.sorted { $0.count < $1.count }
        let started = ContinuousClock.now
        for start in stride(from: 0, to: ids.count, by: 32) { _ = encoder.embed(tokenIds: Array(ids[start..<min(start + 32, ids.count)])) }
        let modelRate = Double(ids.count) / (ContinuousClock.now - started).seconds

        struct Question: Decodable { var question: String; var document: String }
        let questions = try JSONDecoder().decode([Question].self, from: Data(contentsOf: URL(fileURLWithPath: Self.questions)))
        let retriever = DatasetRetriever(store: store, embedder: provider)
        var hits: [(RetrievalMode, Int, Int)] = []
        for mode in RetrievalMode.allCases {
            var found = 0
            for question in questions {
                let results = try await retriever.retrieve(RetrievalQuery(query: question.question, datasets: [DatasetReference(name: "bench", version: 1)], mode: mode, topK: 5))
                // A copy of the right document counts: the copies hold the same text.
                if results.contains(where: { $0.document.hasSuffix(question.document) }) { found += 1 }
            }
            hits.append((mode, found, questions.count))
        }
        return Figures(chunks: summary.chunks, chunksPerSecond: Double(summary.chunks) / summary.seconds, modelChunksPerSecond: modelRate, hits: hits)
    }
}
