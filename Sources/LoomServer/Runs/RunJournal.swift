import Foundation
import Logging
import LoomStore
import ServiceLifecycle
import Synchronization

/// Writes runs to PostgreSQL for the whole server, in batches. Finished runs wait for the write that includes
/// them (a group commit: under load many runs share one transaction); blocking runs still going after
/// `checkpointAfter` are written as running. One loop, woken by work and by a 100 ms tick — no timer per run; a run
/// that finishes while nothing is being written or waiting is written by its caller at once.
/// While the database is away, finished runs stay queued (up to `backlogLimit`) and are written when it returns.
final class RunJournal: Service, Sendable {
    private struct Finished {
        var run: RunRecord
        var nodes: [NodeRunRecord]
        /// Nil once the caller was told the first write failed; the run stays queued until it is written. Told
        /// nil when the loop has already stopped, so the caller writes the run itself.
        var committed: CheckedContinuation<Bool?, Never>?
    }

    private struct State {
        var finished: [Finished] = []
        /// Blocking runs not yet visible in the database, by id.
        var inFlight: [UUID: RunRecord] = [:]
        /// The loop has stopped (the server is shutting down or was cancelled): nothing queued would be written.
        var closed = false
    }

    private let state = Mutex(State())
    private let wake: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>
    private let store: Store
    private let checkpointAfter: Duration
    private let logger: Logger
    static let batchLimit = 256
    static let backlogLimit = 100_000
    /// Batches written at once: while one commits the next is on its way, as concurrent clients do for pgbench.
    static let concurrentWrites = 4
    private let writing = Atomic<Int>(0)

    init(store: Store, checkpointAfter: Duration, logger: Logger) {
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.store = store
        self.checkpointAfter = checkpointAfter
        self.logger = logger
    }

    /// A blocking run began: it becomes visible as running if it lasts.
    func began(_ run: RunRecord) {
        state.withLock { $0.inFlight[run.id] = run }
    }

    /// Writes a run as running now (streaming runs: their client may stop them at once, from any server).
    func startNow(_ run: RunRecord) async {
        do {
            try await store.runs.start(run)
        } catch {
            logger.warning("could not record a run's start", metadata: ["run": "\(run.id)", "error": "\(error)"])
        }
    }

    /// Queues the finished run and returns once it is written (false when the first attempt failed: it is written
    /// later).
    func finished(_ run: RunRecord, nodes: [NodeRunRecord]) async -> Bool {
        // With nothing being written and nothing waiting, the caller writes its run at once: handing it to the loop
        // and back costs two wake-ups of sleeping threads, most of a run's time on a server that is otherwise idle.
        let alone = state.withLock { state -> Bool in
            guard !state.closed, state.finished.isEmpty, writing.load(ordering: .relaxed) == 0 else { return false }
            state.inFlight[run.id] = nil
            writing.wrappingAdd(1, ordering: .relaxed)
            return true
        }
        if alone {
            let written = await write([Finished(run: run, nodes: nodes, committed: nil)])
            writing.wrappingSubtract(1, ordering: .relaxed)
            if !state.withLock({ $0.finished.isEmpty }) { wake.yield() }
            return written
        }
        let queued: Bool? = await withCheckedContinuation { continuation in
            let dropped = state.withLock { state -> [Finished]? in
                state.inFlight[run.id] = nil
                guard !state.closed else { return nil }
                state.finished.append(Finished(run: run, nodes: nodes, committed: continuation))
                let excess = max(0, state.finished.count - Self.backlogLimit)
                defer { state.finished.removeFirst(excess) }
                return Array(state.finished.prefix(excess))
            }
            guard let dropped else { return continuation.resume(returning: nil) }
            for entry in dropped {
                logger.error("dropped an unrecorded run: the backlog is full", metadata: ["run": "\(entry.run.id)"])
                entry.committed?.resume(returning: false)
            }
            wake.yield()
        }
        if let queued { return queued }
        // A run that ends while the server stops, after the journal's last write: its handler writes it.
        do {
            try await store.runs.finish([(run, nodes)])
            return true
        } catch {
            logger.error("could not record a run that finished during shutdown", metadata: ["run": "\(run.id)", "error": "\(error)"])
            return false
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [wake] in
                    while (try? await Task.sleep(for: .milliseconds(100))) != nil { wake.yield() }
                }
                for await _ in wakeups {
                    await writeCheckpoints()
                    while writing.load(ordering: .relaxed) < Self.concurrentWrites, let batch = takeBatch() {
                        writing.wrappingAdd(1, ordering: .relaxed)
                        group.addTask {
                            // After a failure the write keeps its place a while (the tick wakes the loop again):
                            // retries do not spin.
                            if !(await self.write(batch)) { try? await Task.sleep(for: .milliseconds(500)) }
                            self.writing.wrappingSubtract(1, ordering: .relaxed)
                            self.wake.yield()
                        }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [wake] in
            wake.finish()
        }
        // Whatever finished during shutdown is still written; runs finishing from now on are written by their
        // handlers, and whatever cannot be written now is let go (a handler waiting on it would hold the shutdown).
        state.withLock { $0.closed = true }
        while let batch = takeBatch(), await write(batch) {}
        let unwritten = state.withLock { state in
            defer { state.finished = [] }
            return state.finished
        }
        reportLost(unwritten)
    }

    private func reportLost(_ entries: [Finished]) {
        for entry in entries {
            logger.error("a finished run could not be recorded before shutdown", metadata: ["run": "\(entry.run.id)"])
            entry.committed?.resume(returning: false)
        }
    }

    private func writeCheckpoints() async {
        let due = state.withLock { state -> [RunRecord] in
            let cutoff = Date().addingTimeInterval(-checkpointAfter.seconds)
            let due = state.inFlight.values.filter { $0.createdAt <= cutoff }
            for run in due { state.inFlight[run.id] = nil }
            return due
        }
        guard !due.isEmpty else { return }
        do {
            try await store.runs.start(due)
        } catch {
            logger.warning("could not record running runs", metadata: ["runs": "\(due.count)", "error": "\(error)"])
        }
    }

    private func takeBatch() -> [Finished]? {
        state.withLock { state in
            guard !state.finished.isEmpty else { return nil }
            let batch = Array(state.finished.prefix(Self.batchLimit))
            state.finished.removeFirst(batch.count)
            return batch
        }
    }

    /// Writes one batch; on failure the batch goes back in front to be retried by the loop (or, once the loop has
    /// stopped, is reported lost), and false is returned.
    private func write(_ batch: [Finished]) async -> Bool {
        do {
            try await store.runs.finish(batch.map { ($0.run, $0.nodes) })
            for entry in batch { entry.committed?.resume(returning: true) }
            return true
        } catch {
            logger.warning("could not record finished runs; keeping them to retry", metadata: ["runs": "\(batch.count)", "error": "\(error)"])
            var retry = batch
            for index in retry.indices {
                retry[index].committed?.resume(returning: false)
                retry[index].committed = nil
            }
            // Once the loop has stopped no one would retry them (a write its caller began as the server stopped).
            let kept = state.withLock { state in
                if !state.closed { state.finished.insert(contentsOf: retry, at: 0) }
                return !state.closed
            }
            if !kept { reportLost(retry) }
            return false
        }
    }
}
