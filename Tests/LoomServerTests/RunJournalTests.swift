import Foundation
import Logging
import Synchronization
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

@testable import LoomServer

/// The journal's group commit, and what happens to runs that end while the server stops.
@Suite struct RunJournalTests {
    static func run(_ store: Store) async throws -> RunRecord {
        let source = "app: late\nnodes: []\n"
        let app = try await store.apps.deploy(VersionSubmission(
            slug: "late", name: "Late", mode: "workflow", description: nil, source: source, format: "yaml", canonicalJSON: #"{"app":"late"}"#,
            sha256: Secret.hash(source), author: "tester", message: "")).app
        return RunRecord(
            id: UUID(), appId: app.id, app: "late", version: 1, status: "succeeded", inputs: [:], user: "u", createdAt: Date(), finishedAt: Date())
    }

    /// Runs finishing together: the first is written by its caller, those finishing meanwhile wait for the loop's
    /// batches.
    @Test func runsFinishingTogetherAreAllWritten() async throws {
        try await TestDatabase.withStore { store in
            let first = try await Self.run(store)
            let runs = [first] + (1..<32).map { _ in RunRecord(
                id: UUID(), appId: first.appId, app: "late", version: 1, status: "succeeded", inputs: [:], user: "u", createdAt: Date(), finishedAt: Date()) }
            let journal = RunJournal(store: store, checkpointAfter: .seconds(5), logger: Logger(label: "test"))
            let loop = Task { try await journal.run() }
            let written = await withTaskGroup(of: Bool.self) { group in
                for run in runs { group.addTask { await journal.finished(run, nodes: []) } }
                return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(written == runs.count)
            for run in runs { #expect(try await store.runs.find(run.id)?.status == "succeeded") }
            loop.cancel()
        }
    }

    /// With nothing being written, a finished run does not wait for the loop: here there is none.
    @Test func aRunFinishingWhileNothingIsWrittenIsWrittenByItsCaller() async throws {
        try await TestDatabase.withStore { store in
            let run = try await Self.run(store)
            let journal = RunJournal(store: store, checkpointAfter: .seconds(5), logger: Logger(label: "test"))
            let outcome = Outcome()
            let caller = Task { outcome.set(await journal.finished(run, nodes: [])) }
            let deadline = ContinuousClock.now + .seconds(30)
            while outcome.value == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(outcome.value == true, "the caller waits for a loop that is not running")
            if outcome.value == nil { caller.cancel() } else { await caller.value }
            #expect(try await store.runs.find(run.id)?.status == "succeeded")
        }
    }

    /// A cancelled server stops the journal while handlers are still finishing their runs: before, such a run
    /// waited for a write that never came, and held the server's shutdown (and a test's teardown) for ever.
    @Test func aRunFinishingAfterTheJournalStoppedIsWrittenByItsCaller() async throws {
        try await TestDatabase.withStore { store in
            let run = try await Self.run(store)
            let journal = RunJournal(store: store, checkpointAfter: .seconds(5), logger: Logger(label: "test"))
            let loop = Task { try await journal.run() }
            loop.cancel()
            try await loop.value
            // Waited for from outside, so that a caller left waiting fails the test instead of hanging it.
            let outcome = Outcome()
            let caller = Task { outcome.set(await journal.finished(run, nodes: [])) }
            let deadline = ContinuousClock.now + .seconds(30)
            while outcome.value == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(outcome.value == true, "the caller is still waiting for a journal that has stopped")
            if outcome.value != nil { await caller.value }
            #expect(try await store.runs.find(run.id)?.status == "succeeded")
        }
    }

    /// A run that its caller began writing as the server stopped, on a database that then did not answer: the
    /// journal's loop has already stopped, so no one would retry it. It is reported lost (before, it went back to a
    /// queue no one would write again, and nothing said so).
    @Test func aWriteThatFailsAfterTheJournalStoppedIsReportedLost() async throws {
        let listener = try SilentListener()
        let logged = LoggedLines()
        let logger = Logger(label: "test") { _ in logged }
        try await Store.with(try DatabaseURL.configuration(listener.databaseURL), logger: logger, operationTimeout: .seconds(2)) { store in
            let run = RunRecord(id: UUID(), appId: 1, app: "late", version: 1, status: "succeeded", inputs: [:], user: "u", createdAt: Date(), finishedAt: Date())
            let journal = RunJournal(store: store, checkpointAfter: .seconds(5), logger: logger)
            let loop = Task { try await journal.run() }
            // Nothing else is written, so the caller writes its run itself; the loop stops while that write waits
            // (for the database's answer to its connection).
            let caller = Task { await journal.finished(run, nodes: []) }
            let giveUp = ContinuousClock.now + .seconds(30)
            while !listener.hasConnection, ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(10)) }
            try #require(listener.hasConnection)
            loop.cancel()
            try await loop.value
            #expect(await caller.value == false)
            #expect(logged.contains("a finished run could not be recorded before shutdown"), "\(logged.lines)")
        }
        withExtendedLifetime(listener) {}
    }
}

/// What a caller was told, once it was told.
private final class Outcome: Sendable {
    private let told = Mutex<Bool?>(nil)
    var value: Bool? { told.withLock { $0 } }
    func set(_ value: Bool) { told.withLock { $0 = value } }
}
