import Foundation
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

@Suite struct DatasetRepositoryTests {
    static func chunks(_ texts: [String], dimensions: Int = 3) -> [ChunkInput] {
        texts.enumerated().map { index, text in
            ChunkInput(content: text, tokens: text.split(separator: " ").count, metadata: ["n": .int(index)],
                       embedding: (0..<dimensions).map { Float(index + $0) / 7 })
        }
    }

    /// Stores a document with these chunks (its hash from the texts) and returns its version id.
    static func store(_ store: Store, _ dataset: DatasetRecord, _ name: String, _ texts: [String]) async throws -> Int64 {
        try await store.datasets.storeDocument(
            dataset: dataset, name: name, sha256: Secret.hash(texts.joined(separator: "\u{1F}")), metadata: ["source": .string(name)],
            chunks: chunks(texts, dimensions: dataset.dimensions))
    }

    @Test func datasetsAreCreatedOnceListedAndDeleted() async throws {
        try await TestDatabase.withStore { store in
            let created = try await store.datasets.create(DatasetSpec(name: "handbook", description: "HR", embeddingModel: "minilm-l6", dimensions: 3))
            #expect(created.chunkTokens == 500 && created.chunkOverlap == 50 && created.latestVersion == 0)
            await #expect(throws: StoreError.datasetExists("handbook")) {
                try await store.datasets.create(DatasetSpec(name: "handbook", embeddingModel: "minilm-l6", dimensions: 3))
            }
            await #expect(throws: StoreError.self) { try await store.datasets.create(DatasetSpec(name: "Bad Name!", embeddingModel: "m", dimensions: 3)) }
            await #expect(throws: StoreError.self) {
                try await store.datasets.create(DatasetSpec(name: "overlap", embeddingModel: "m", dimensions: 3, chunkTokens: 50, chunkOverlap: 50))
            }
            #expect(try await store.datasets.list().map(\.name) == ["handbook"])
            try await store.datasets.delete("handbook")
            await #expect(throws: StoreError.datasetNotFound("handbook")) { try await store.datasets.get("handbook") }
            await #expect(throws: StoreError.datasetNotFound("handbook")) { try await store.datasets.delete("handbook") }
        }
    }

    @Test func versionsShareUnchangedDocumentsAndDiffByName() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await store.datasets.create(DatasetSpec(name: "kb", embeddingModel: "minilm-l6", dimensions: 3))
            let a1 = try await Self.store(store, dataset, "a.md", ["alpha one", "alpha two"])
            let b1 = try await Self.store(store, dataset, "b.md", ["bravo"])
            #expect(try await store.datasets.commitVersion(dataset: "kb", put: [a1, b1], message: "first import") == 1)

            // Unchanged content is found by its hash and stored once.
            #expect(try await store.datasets.documentVersion(dataset: dataset, name: "a.md", sha256: Secret.hash("alpha one\u{1F}alpha two")) == a1)
            #expect(try await Self.store(store, dataset, "a.md", ["alpha one", "alpha two"]) == a1)
            #expect(try await store.datasets.commitVersion(dataset: "kb", put: [a1]) == 1, "nothing changed, so no new version")

            let a2 = try await Self.store(store, dataset, "a.md", ["alpha one", "alpha three"])
            let c1 = try await Self.store(store, dataset, "c.md", ["charlie"])
            #expect(try await store.datasets.commitVersion(dataset: "kb", put: [a2, c1], removed: ["b.md"]) == 2)

            #expect(try await store.datasets.documents("kb", version: 1).map(\.documentVersionId) == [a1, b1])
            #expect(try await store.datasets.documents("kb").map(\.name) == ["a.md", "c.md"])
            #expect(try await store.datasets.diff("kb", from: 1, to: 2) == DatasetDiff(added: ["c.md"], changed: ["a.md"], removed: ["b.md"]))
            #expect(try await store.datasets.versions("kb").map(\.size) == [2, 2])

            // Version 1 still reads as it was: its chunks were never copied or replaced.
            let old = try await store.datasets.chunks("kb", version: 1)
            #expect(old.map(\.content) == ["alpha one", "alpha two", "bravo"])
            #expect(old[1].metadata == ["n": .int(1)])
            let expected: [Float] = [1 / 7, 2 / 7, 3 / 7]
            #expect(old[1].embedding == expected)
            await #expect(throws: StoreError.datasetVersionNotFound(dataset: "kb", version: 3)) { try await store.datasets.chunks("kb", version: 3) }

            #expect(try await store.datasets.rollback("kb") == 3)
            #expect(try await store.datasets.documents("kb").map(\.documentVersionId) == [a1, b1])
            #expect(try await store.datasets.rollback("kb", to: 2) == 4)
            #expect(try await store.datasets.documents("kb").map(\.documentVersionId) == [a2, c1])
            #expect(try await store.datasets.removeDocuments("kb", documents: ["c.md"]) == 5)
            #expect(try await store.datasets.documents("kb").map(\.name) == ["a.md"])
            await #expect(throws: StoreError.documentNotFound(dataset: "kb", document: "c.md")) {
                try await store.datasets.removeDocuments("kb", documents: ["c.md"])
            }
        }
    }

    @Test func aChangeBasedOnAnOlderVersionIsRefusedAndCommitsNothing() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await store.datasets.create(DatasetSpec(name: "kb", embeddingModel: "minilm-l6", dimensions: 3))
            let a1 = try await Self.store(store, dataset, "a.md", ["alpha"])
            #expect(try await store.datasets.commitVersion(dataset: "kb", put: [a1]) == 1)
            let b1 = try await Self.store(store, dataset, "b.md", ["bravo"])
            #expect(try await store.datasets.commitVersion(dataset: "kb", put: [b1], basedOn: 1) == 2)
            let c1 = try await Self.store(store, dataset, "c.md", ["charlie"])
            await #expect(throws: StoreError.datasetChanged(dataset: "kb", expected: 1, latest: 2)) {
                try await store.datasets.commitVersion(dataset: "kb", put: [c1], basedOn: 1)
            }
            #expect(try await store.datasets.documents("kb").map(\.name) == ["a.md", "b.md"])
        }
    }

    @Test func fullTextSearchFindsStemmedWordsInTheNamedVersionOnly() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await store.datasets.create(DatasetSpec(name: "kb", embeddingModel: "minilm-l6", dimensions: 3))
            let first = try await Self.store(store, dataset, "pets.md", ["Cats are sleeping on the sofa", "Dogs bark at the postman"])
            _ = try await store.datasets.commitVersion(dataset: "kb", put: [first])
            let second = try await Self.store(store, dataset, "pets.md", ["Parrots talk"])
            _ = try await store.datasets.commitVersion(dataset: "kb", put: [second])
            let hits = try await store.datasets.fullTextSearch("kb", version: 1, query: "sleeping cat", limit: 5)
            let chunks = try await store.datasets.chunks("kb", version: 1)
            #expect(hits.map(\.id) == [chunks[0].id])
            #expect(try await store.datasets.fullTextSearch("kb", query: "cat", limit: 5).isEmpty)
            #expect(try await store.datasets.fullTextSearch("kb", query: "\"talk\" -dogs", limit: 5).count == 1)
        }
    }

    @Test func anEmbeddingOfTheWrongSizeIsRefusedAndNothingIsStored() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await store.datasets.create(DatasetSpec(name: "kb", embeddingModel: "minilm-l6", dimensions: 4))
            await #expect(throws: StoreError.self) {
                try await store.datasets.storeDocument(dataset: dataset, name: "x", sha256: "s", metadata: [:], chunks: Self.chunks(["x"], dimensions: 3))
            }
            #expect(try await store.datasets.documentVersion(dataset: dataset, name: "x", sha256: "s") == nil)
        }
    }

    @Test func twoImportsCommittingAtOnceEachGetTheirOwnVersion() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await store.datasets.create(DatasetSpec(name: "kb", embeddingModel: "minilm-l6", dimensions: 3))
            let a = try await Self.store(store, dataset, "a.md", ["a"])
            let b = try await Self.store(store, dataset, "b.md", ["b"])
            async let first = store.datasets.commitVersion(dataset: "kb", put: [a])
            async let second = store.datasets.commitVersion(dataset: "kb", put: [b])
            #expect(Set([try await first, try await second]) == [1, 2])
            #expect(try await store.datasets.documents("kb", version: 2).map(\.name) == ["a.md", "b.md"])
        }
    }
}
