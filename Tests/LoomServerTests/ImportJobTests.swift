import Foundation
import Logging
import LoomKnowledge
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

@testable import LoomServer

/// Import jobs in PostgreSQL: resumed after the embedding model fails, failed for good on a bad document, and taken
/// over when the server running one stops renewing its lease.
@Suite(.serialized) struct ImportJobTests {
    static func queue(_ store: Store, _ files: [(String, String)]) async throws -> JobRecord {
        let dataset = try await store.datasets.get("ops")
        var ids: [Value] = []
        for (name, text) in files { ids.append(.int(Int(try await store.uploads.store(dataset: dataset, name: name, content: Array(text.utf8))))) }
        return try await store.jobs.create(kind: ImportJobRunner.kind, dataset: dataset, payload: ["uploads": .array(ids), "message": "test import"])
    }

    @Test func aJobTheEmbeddingModelInterruptsIsRetriedAndResumes() async throws {
        try await DatasetImporterTests.withEmbedder { provider, _ in
            try await TestDatabase.withStore { store in
                _ = try await store.datasets.create(DatasetSpec(name: "ops", embeddingModel: "minilm-l6", dimensions: 384, chunkTokens: 40, chunkOverlap: 5))
                let files = (1...3).map { ("note\($0).txt", "Note number \($0) about the server.") }
                let queued = try await Self.queue(store, files)
                #expect(queued.status == .queued)

                var failing = ImportJobRunner(store: store, embedder: DatasetImporterTests.FailingEmbedder(provider, allowed: 0), logger: Logger(label: "test"))
                // Long enough that a loaded machine cannot reach it before the check below; the test then ends the wait itself.
                failing.retryDelay = .seconds(120)
                let first = try #require(try await store.jobs.claim(owner: failing.owner, lease: .seconds(30)))
                await failing.process(first)
                let waiting = try await store.jobs.get(queued.id)
                #expect(waiting.status == .running && waiting.error?.contains("connection reset") == true, "left to be retried")
                #expect(waiting.progress["documents_done"] == 0 && waiting.progress["documents"] == 3)

                let runner = ImportJobRunner(store: store, embedder: provider, logger: Logger(label: "test"))
                #expect(try await store.jobs.claim(owner: runner.owner, lease: .seconds(30)) == nil, "not before the retry delay")
                var waits = false
                for try await later in try await store.client.query("SELECT lease_expires_at > now() + interval '100 seconds' FROM jobs WHERE id = \(queued.id)")
                    .decode(Bool.self)
                {
                    waits = later
                }
                #expect(waits, "the retry waits the runner's delay")
                try await store.client.query("UPDATE jobs SET lease_expires_at = now() WHERE id = \(queued.id)")
                let second = try #require(try await store.jobs.claim(owner: runner.owner, lease: .seconds(30)))
                #expect(second.attempts == 2)
                await runner.process(second)
                let done = try await store.jobs.get(queued.id)
                #expect(done.status == .done && done.result?["stored"] == 3 && done.result?["version"] == 1)
                #expect(try await store.datasets.chunks("ops").count == 3, "no chunk stored twice")
            }
        }
    }

    @Test func aBadDocumentFailsTheJobForGoodNamingTheFile() async throws {
        try await DatasetImporterTests.withEmbedder { provider, _ in
            try await TestDatabase.withStore { store in
                _ = try await store.datasets.create(DatasetSpec(name: "ops", embeddingModel: "minilm-l6", dimensions: 384))
                let job = try await Self.queue(store, [("good.txt", "fine"), ("table.csv", "question\nWhy?\n")])
                let runner = ImportJobRunner(store: store, embedder: provider, logger: Logger(label: "test"))
                await runner.process(try #require(try await store.jobs.claim(owner: runner.owner, lease: .seconds(30))))
                let failed = try await store.jobs.get(job.id)
                #expect(failed.status == .failed)
                #expect(failed.error == "table.csv:2: no column 'text' in this row")
                #expect(try await store.datasets.get("ops").latestVersion == 0, "nothing was committed")
            }
        }
    }

    @Test func aJobWhoseLeaseLapsesIsTakenOverByAnotherServer() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.datasets.create(DatasetSpec(name: "ops", embeddingModel: "minilm-l6", dimensions: 384))
            let job = try await Self.queue(store, [("a.txt", "a")])
            let (dead, alive) = (UUID(), UUID())
            #expect(try await store.jobs.claim(owner: dead, lease: .seconds(1))?.id == job.id)
            #expect(try await store.jobs.claim(owner: alive, lease: .seconds(30)) == nil)
            try await Task.sleep(for: .milliseconds(1300))
            let taken = try #require(try await store.jobs.claim(owner: alive, lease: .seconds(30)))
            #expect(taken.id == job.id && taken.attempts == 2)
            #expect(try await store.jobs.report(job.id, owner: dead, progress: [:], lease: .seconds(30)) == false, "the dead owner's reports are refused")
        }
    }
}
