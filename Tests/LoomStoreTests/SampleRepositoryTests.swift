import Foundation
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

@Suite struct SampleRepositoryTests {
    static func chat(_ question: String, _ answer: String) -> TrainingRecord {
        .chat([.init(.user, question), .init(.assistant, answer)])
    }

    static func input(_ question: String, _ answer: String, status: SampleStatus = .pending) -> SampleInput {
        SampleInput(record: chat(question, answer), status: status, source: ["kind": "imported"])
    }

    static func samplesDataset(_ store: Store, _ name: String = "support") async throws -> DatasetRecord {
        try await store.datasets.create(DatasetSpec(name: name, kind: .samples, embeddingModel: "minilm-l6", dimensions: 384))
    }

    @Test func duplicatesAreAnsweredWithTheExistingSampleAndAddNoVersion() async throws {
        try await TestDatabase.withStore { store in
            _ = try await Self.samplesDataset(store)
            let first = try await store.samples.add("support", [Self.input("a", "1"), Self.input("b", "2"), Self.input("a", "1")], message: "import")
            #expect(first.version == 1 && first.added == 2)
            #expect(first.writes[2] == SampleWrite(id: first.writes[0].id, duplicate: true))
            let again = try await store.samples.add("support", [Self.input("b", "2")], message: "import")
            #expect(again == SampleAddition(writes: [SampleWrite(id: first.writes[1].id, duplicate: true)], version: 1))
            #expect(try await store.datasets.get("support").latestVersion == 1)
        }
    }

    @Test func everyReviewIsAVersionAndOlderVersionsKeepTheirSamples() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await Self.samplesDataset(store)
            let added = try await store.samples.add("support", [Self.input("a", "1"), Self.input("b", "2")], message: "import")
            let ids = added.writes.map(\.id)
            let approved = try await store.samples.review("support", ids: [ids[0]], SampleReview(status: .approved, rating: 1), message: "approve")
            #expect(approved == 2)
            // Approving what is approved already changes nothing and commits nothing.
            #expect(try await store.samples.review("support", ids: [ids[0]], SampleReview(status: .approved), message: "again") == 2)
            let edited = try await store.samples.review("support", ids: [ids[1]], SampleReview(record: Self.chat("b", "two")), message: "edit")
            #expect(edited == 3)
            let current = try await store.datasets.get("support")
            let latest = try await store.samples.list(current, version: 3)
            #expect(latest.map(\.status) == [.approved, .pending] && latest.map(\.id) == ids)
            #expect(latest[0].rating == 1 && latest[1].record == Self.chat("b", "two"))
            let first = try await store.samples.list(dataset, version: 1)
            #expect(first.map(\.status) == [.pending, .pending] && first[1].record == Self.chat("b", "2"))
            #expect(try await store.samples.list(current, version: 3, status: .approved).map(\.id) == [ids[0]])
            #expect(try await store.samples.list(current, version: 3, after: ids[0], limit: 5).map(\.id) == [ids[1]])
            #expect(try await store.datasets.versions("support").map(\.size) == [2, 2, 2])
        }
    }

    @Test func anEditThatDuplicatesAnotherSampleOrAnUnknownIdChangesNothing() async throws {
        try await TestDatabase.withStore { store in
            _ = try await Self.samplesDataset(store)
            let ids = try await store.samples.add("support", [Self.input("a", "1"), Self.input("b", "2")], message: "import").writes.map(\.id)
            await #expect(throws: StoreError.self) {
                try await store.samples.review("support", ids: [ids[1]], SampleReview(record: Self.chat("a", "1")), message: "edit")
            }
            await #expect(throws: StoreError.sampleNotFound(dataset: "support", ids: [ids[1] + 100])) {
                try await store.samples.review("support", ids: [ids[0], ids[1] + 100], SampleReview(status: .approved), message: "approve")
            }
            #expect(try await store.datasets.get("support").latestVersion == 1)
            // The record a rejected sample had stays taken: the same record is not added again.
            _ = try await store.samples.review("support", ids: [ids[0]], SampleReview(status: .rejected), message: "reject")
            #expect(try await store.samples.add("support", [Self.input("a", "1")], message: "again").writes == [SampleWrite(id: ids[0], duplicate: true)])
        }
    }

    @Test func knowledgeAndSamplesOperationsRefuseTheOtherKind() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.datasets.create(DatasetSpec(name: "handbook", embeddingModel: "minilm-l6", dimensions: 3))
            _ = try await Self.samplesDataset(store)
            await #expect(throws: StoreError.wrongDatasetKind(dataset: "handbook", kind: "knowledge", needed: "samples")) {
                try await store.samples.add("handbook", [Self.input("a", "1")], message: "")
            }
            await #expect(throws: StoreError.wrongDatasetKind(dataset: "support", kind: "samples", needed: "knowledge")) {
                try await store.datasets.commitVersion(dataset: "support", put: [1])
            }
        }
    }

    @Test func rollingBackRestoresAnEarlierVersionsSamplesAsTheyWere() async throws {
        try await TestDatabase.withStore { store in
            _ = try await Self.samplesDataset(store)
            let ids = try await store.samples.add("support", [Self.input("a", "1"), Self.input("b", "2")], message: "import").writes.map(\.id)
            _ = try await store.samples.review("support", ids: [ids[0]], SampleReview(status: .approved), message: "approve")
            let later = try await store.samples.add("support", [Self.input("c", "3")], message: "later").writes[0].id
            _ = try await store.samples.review("support", ids: [ids[1]], SampleReview(record: Self.chat("b", "two")), message: "edit")
            #expect(try await store.datasets.rollback("support", to: 2) == 5)
            let dataset = try await store.datasets.get("support")
            let restored = try await store.samples.list(dataset, version: 5)
            #expect(restored.map(\.id) == ids && restored.map(\.status) == [.approved, .pending] && restored[1].record == Self.chat("b", "2"))
            // The rolled-back sample's record is free again, and versions in between still hold what they held.
            #expect(try await store.samples.add("support", [Self.input("c", "3")], message: "again").writes[0].duplicate == false)
            #expect(try await store.samples.list(dataset, version: 4).map(\.id) == ids + [later])
            await #expect(throws: StoreError.self) { try await store.datasets.rollback("support", to: 9) }
        }
    }

    @Test func concurrentWritersEachGetTheirOwnVersion() async throws {
        // The eight writers take turns on the dataset's row lock, so the last one's transaction waits for the other
        // seven: in the full suite's start-up (every test at ~50 s) that outlasted the usual 30 s.
        try await TestDatabase.withStore(operationTimeout: .seconds(180)) { store in
            _ = try await Self.samplesDataset(store)
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask { try await store.samples.add("support", [Self.input("q\(index)", "a")], message: "run \(index)").version }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...8))
            let dataset = try await store.datasets.get("support")
            #expect(try await store.samples.list(dataset, version: 8).count == 8)
        }
    }
}
