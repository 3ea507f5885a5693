import LoomConnectors
import LoomInference
import LoomKnowledge
@testable import LoomServer
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

/// Retrieval through a real embedding worker over datasets imported into a real database.
@Suite(.serialized) struct DatasetRetrieverTests {
    static let recipes = """
        # Risotto
        Add warm stock one ladle at a time and keep stirring the rice.

        # Bread
        Knead the dough for ten minutes, then let it rise for an hour.
        """

    static func withDatasets<T: Sendable>(
        on cluster: TestDatabase.Cluster = .main, _ body: @Sendable (Store, DatasetRetriever, DatasetImporter) async throws -> T
    ) async throws -> T {
        try await DatasetImporterTests.withEmbedder { provider, tokenizer in
            try await TestDatabase.withStore(on: cluster) { store in
                for name in ["ops", "recipes"] {
                    _ = try await store.datasets.create(DatasetSpec(name: name, embeddingModel: "minilm-l6", dimensions: 384, chunkTokens: 40, chunkOverlap: 5))
                }
                let importer = DatasetImporter(store: store, embedder: provider, counter: tokenizer)
                _ = try await importer.run([SourceDocument.markdown(name: "guide.md", text: DatasetImporterTests.guide)], into: "ops")
                _ = try await importer.run([SourceDocument.markdown(name: "kitchen.md", text: Self.recipes)], into: "recipes")
                return try await body(store, DatasetRetriever(store: store, embedder: provider), importer)
            }
        }
    }

    static func search(
        _ retriever: DatasetRetriever, _ text: String, _ datasets: [String], mode: RetrievalMode, topK: Int = 3, threshold: Double? = nil,
        filters: [String: Value] = [:]
    ) async throws -> [RetrievedChunk] {
        try await retriever.retrieve(
            RetrievalQuery(query: text, datasets: datasets.compactMap(DatasetReference.init(parsing:)), mode: mode, topK: topK, scoreThreshold: threshold, filters: filters))
    }

    @Test func eachModeFindsTheRightPassage() async throws {
        try await Self.withDatasets { _, retriever, _ in
            let semantic = try await Self.search(retriever, "How do I make a copy of my database?", ["ops"], mode: .semantic)
            #expect(semantic.first?.content.contains("pg_dump") == true)
            #expect(semantic.count == 3 && semantic.map(\.score) == semantic.map(\.score).sorted(by: >))
            let words = try await Self.search(retriever, "kneading dough", ["ops", "recipes"], mode: .fulltext)
            #expect(words.map(\.document) == ["kitchen.md"])
            #expect(words.first?.dataset == "recipes" && words.first?.version == 1)
            let hybrid = try await Self.search(retriever, "rising dough for bread", ["ops", "recipes"], mode: .hybrid, topK: 1)
            #expect(hybrid.first?.content.contains("Knead") == true)
        }
    }

    @Test func aVersionAboveTheExactLimitIsSearchedThroughHNSWWithTheSameAnswer() async throws {
        try await Self.withDatasets { store, exact, _ in
            let graph = DatasetRetriever(store: store, embedder: exact.embedder, exactLimit: 0)
            for question in ["How do I make a copy of my database?", "What goes into a risotto?", "How do I start Loom?"] {
                let expected = try await Self.search(exact, question, ["ops"], mode: .semantic, topK: 1)
                let found = try await Self.search(graph, question, ["ops"], mode: .semantic, topK: 1)
                #expect(found.map(\.chunkId) == expected.map(\.chunkId), "\(question)")
            }
        }
    }

    @Test func pgvectorFindsWhatTheInProcessIndexFindsInEveryModeWithFiltersAndPinnedVersions() async throws {
        try await Self.withDatasets(on: .pgvector) { store, inProcess, importer in
            let search = try await VectorSearch.decide(.pgvector, store: store)
            #expect(search == .pgvector(version: "0.6.2"))
            let pgvector = DatasetRetriever(store: store, embedder: inProcess.embedder, vectorSearch: search)
            _ = try await importer.run([SourceDocument.markdown(name: "extra.md", text: "# Restores\nRestore with pg_restore into an empty database.")], into: "ops")
            let questions = ["How do I make a copy of my database?", "rising dough for bread", "How do I start Loom?", "restore a backup"]
            for mode in [RetrievalMode.semantic, .fulltext, .hybrid] {
                for question in questions {
                    for datasets in [["ops", "recipes"], ["ops@1"]] {
                        for filters: [String: Value] in [[:], ["headings": .array(["Backups"])]] {
                            let expected = try await Self.search(inProcess, question, datasets, mode: mode, topK: 4, filters: filters)
                            let found = try await Self.search(pgvector, question, datasets, mode: mode, topK: 4, filters: filters)
                            let what = "\(mode) '\(question)' in \(datasets) with \(filters)"
                            #expect(found.map(\.chunkId) == expected.map(\.chunkId), "\(what)")
                            #expect(zip(found, expected).allSatisfy { abs($0.score - $1.score) < 1e-4 && $0.content == $1.content && $0.version == $1.version }, "\(what)")
                        }
                    }
                }
            }
            let semantic = try await Self.search(pgvector, "How do I make a copy of my database?", ["ops@1"], mode: .semantic, topK: 2)
            #expect(semantic.first?.content.contains("pg_dump") == true && semantic.count == 2)
            #expect(try await Self.search(pgvector, "How do I back up?", ["ops"], mode: .semantic, threshold: 0.99).isEmpty)
            #expect(pgvector.loadedVersions.isEmpty, "pgvector search holds no version in the server")
        }
    }

    @Test func filtersThresholdsAndPinnedVersionsNarrowTheResults() async throws {
        try await Self.withDatasets { store, retriever, importer in
            let filtered = try await Self.search(retriever, "anything at all", ["ops"], mode: .semantic, filters: ["headings": .array(["Cooking"])])
            #expect(filtered.map { $0.metadata["headings"] } == [.array(["Cooking"])])
            #expect(try await Self.search(retriever, "How do I back up?", ["ops"], mode: .semantic, threshold: 0.99).isEmpty)

            _ = try await importer.run([SourceDocument.markdown(name: "guide.md", text: "# Backups\nUse barman for continuous archiving.")], into: "ops")
            let latest = try await Self.search(retriever, "backups", ["ops"], mode: .fulltext)
            #expect(latest.map(\.content) == ["# Backups\nUse barman for continuous archiving."] && latest.first?.version == 2)
            let pinned = try await Self.search(retriever, "backups", ["ops@1"], mode: .fulltext)
            #expect(pinned.first?.content.contains("pg_dump") == true && pinned.first?.version == 1)
            await #expect(throws: StoreError.datasetVersionNotFound(dataset: "ops", version: 5)) {
                try await Self.search(retriever, "backups", ["ops@5"], mode: .fulltext)
            }
            await #expect(throws: StoreError.datasetNotFound("nope")) { try await Self.search(retriever, "x", ["nope"], mode: .hybrid) }
            #expect(try await store.datasets.versions("ops").count == 2)
        }
    }

    @Test func aVersionCommittedThroughAnotherPathIsLoadedBeforeItsFirstQueryAndADeletedDatasetIsDropped() async throws {
        try await Self.withDatasets { store, retriever, importer in
            _ = try await Self.search(retriever, "backups", ["ops", "recipes"], mode: .semantic)
            let ops = try await store.datasets.get("ops").id
            let recipes = try await store.datasets.get("recipes").id
            let (subscribed, signal) = AsyncStream.makeStream(of: Void.self)
            let listening = Task {
                await NotificationChannel(NotificationChannel.datasets, store: store).listen(onSubscribed: { signal.yield() }) { retriever.apply($0) }
            }
            defer { listening.cancel() }
            for await _ in subscribed { break }

            _ = try await importer.run([SourceDocument.markdown(name: "extra.md", text: "# Restores\nRestore with pg_restore into an empty database.")], into: "ops")
            try await store.datasets.delete("recipes")
            let expected = [ops: [2]]
            var seen: [Int64: [Int]] = [:]
            for _ in 0..<100 where seen != expected {
                try await Task.sleep(for: .milliseconds(50))
                seen = Dictionary(grouping: retriever.loadedVersions, by: \.dataset).mapValues { $0.map(\.version) }
            }
            #expect(seen == expected, "ops v2 loaded in place of v1, recipes (\(recipes)) dropped")
            let found = try await Self.search(retriever, "how do I restore", ["ops"], mode: .semantic, topK: 1)
            #expect(found.first?.document == "extra.md" && found.first?.version == 2)
        }
    }
}
