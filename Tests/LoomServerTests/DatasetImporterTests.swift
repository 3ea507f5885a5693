import Foundation
import LoomConnectors
import LoomInference
import LoomKnowledge
import LoomServer
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Synchronization
import Testing

/// Imports through a real embedding worker into a real database.
@Suite(.serialized) struct DatasetImporterTests {
    static let guide = """
        # Installing
        Run ./deploy/dev up to start PostgreSQL, the worker pool and the server.

        # Backups
        PostgreSQL holds every run; back it up with pg_dump every night.

        # Cooking
        A good risotto needs stock added one ladle at a time while stirring.
        """

    /// The bundled embedding model behind an OpenAI-compatible worker, and its tokenizer to count chunk tokens.
    static func withEmbedder<T: Sendable>(_ body: @Sendable (OpenAICompatibleProvider, WordPieceTokenizer) async throws -> T) async throws -> T {
        try await TestWorker.with(serving: { $0.kind == .embedding }) { baseURL, _, server in
            let provider = OpenAICompatibleProvider(catalog: ModelCatalog(endpoints: ["minilm-l6": ModelEndpoint(name: "minilm-l6", baseURL: baseURL + "/v1", model: "minilm-l6")], defaultName: nil))
            do {
                let result = try await body(provider, server.models.embedding["minilm-l6"]!.encoder.tokenizer)
                await provider.shutdown()
                return result
            } catch {
                await provider.shutdown()
                throw error
            }
        }
    }

    @Test func anImportIsSearchableAndAnUnchangedOneDoesNoWork() async throws {
        try await Self.withEmbedder { provider, tokenizer in
            try await TestDatabase.withStore { store in
                _ = try await store.datasets.create(DatasetSpec(name: "ops", embeddingModel: "minilm-l6", dimensions: 384, chunkTokens: 40, chunkOverlap: 5))
                let importer = DatasetImporter(store: store, embedder: provider, counter: tokenizer)
                let document = SourceDocument.markdown(name: "guide.md", text: Self.guide)
                let first = try await importer.run([document], into: "ops", message: "first")
                #expect(first.version == 1 && first.stored == 1 && first.unchanged == 0 && first.chunks == 3)

                let chunks = try await store.datasets.chunks("ops")
                #expect(chunks.map { $0.metadata["headings"] } == [.array(["Installing"]), .array(["Backups"]), .array(["Cooking"])])
                var index = ExactVectorIndex(dimensions: 384)
                for chunk in chunks { try index.add(id: chunk.id, vector: chunk.embedding) }
                let query = try await provider.embed(["How do I back up my data?"], model: "minilm-l6")[0]
                let best = try index.search(query, k: 1)[0]
                #expect(chunks.first { $0.id == best.id }?.content.contains("pg_dump") == true)

                let again = try await importer.run([document], into: "ops")
                #expect(again.version == 1 && again.stored == 0 && again.unchanged == 1)
            }
        }
    }

    /// Fails every embedding call after the first `allowed`, as a worker dying mid-import would.
    final class FailingEmbedder: TextEmbedder {
        let inner: any TextEmbedder
        let allowed: Int
        let calls = Atomic<Int>(0)
        init(_ inner: any TextEmbedder, allowed: Int) {
            self.inner = inner
            self.allowed = allowed
        }
        func embed(_ texts: [String], model: String) async throws -> [[Float]] {
            guard calls.add(1, ordering: .relaxed).newValue <= allowed else {
                throw ModelError.unreachable(model: model, endpoint: "worker", reason: "connection reset")
            }
            return try await inner.embed(texts, model: model)
        }
    }

    @Test func anImportInterruptedByTheWorkerResumesWithoutDuplicateChunks() async throws {
        try await Self.withEmbedder { provider, tokenizer in
            try await TestDatabase.withStore { store in
                _ = try await store.datasets.create(DatasetSpec(name: "ops", embeddingModel: "minilm-l6", dimensions: 384, chunkTokens: 40, chunkOverlap: 5))
                let documents = (1...3).map { SourceDocument(name: "note\($0).txt", text: "Note number \($0) about the server.") }
                var failing = DatasetImporter(store: store, embedder: FailingEmbedder(provider, allowed: 2), counter: tokenizer)
                failing.windowChunks = 1  // each document embedded and stored on its own, so two are stored before the failure
                await #expect(throws: ModelError.self) { try await failing.run(documents, into: "ops") }
                #expect(try await store.datasets.get("ops").latestVersion == 0, "no version until the import completes")

                let resumed = try await DatasetImporter(store: store, embedder: provider, counter: tokenizer).run(documents, into: "ops")
                #expect(resumed.stored == 1 && resumed.unchanged == 2 && resumed.version == 1)
                #expect(try await store.datasets.chunks("ops").map(\.content) == documents.map { "Note number \($0.name.dropFirst(4).prefix(1)) about the server." })
            }
        }
    }

    @Test func anUnknownEmbeddingModelIsNamed() async throws {
        try await Self.withEmbedder { provider, tokenizer in
            try await TestDatabase.withStore { store in
                _ = try await store.datasets.create(DatasetSpec(name: "ops", embeddingModel: "e5-large", dimensions: 1024))
                let importer = DatasetImporter(store: store, embedder: provider, counter: tokenizer)
                await #expect(throws: ModelError.unknownModel("e5-large", known: ["minilm-l6"])) {
                    try await importer.run([SourceDocument(name: "a", text: "text")], into: "ops")
                }
            }
        }
    }
}
