import COpenBLAS
import Dispatch
import Foundation
import Synchronization

/// Runs heavy math on a fixed number of threads of its own, never on the caller's concurrency or event-loop threads.
/// Workers spin briefly between jobs (a forward pass issues a few hundred per token) and then sleep.
public final class ComputePool: @unchecked Sendable {
    // Job state is published through `generation` (release) and read after it (acquire); see `run`. It lives in
    // `Shared`, which the threads keep alive until they have seen `stopping`, so a pool can be dropped any time.
    private final class Shared: @unchecked Sendable {
        let generation = Atomic<Int>(0)
        let remaining = Atomic<Int>(0)
        /// The next chunk of a `forEachChunk` job to claim.
        let nextChunk = Atomic<Int>(0)
        var job: ((Int) -> Void)?
        let wake = DispatchSemaphore(value: 0)
        let sleepers = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
    }

    public let threads: Int
    private let shared = Shared()

    public init(threads: Int) {
        self.threads = max(1, threads)
        // Parallelism is the pool's: OpenBLAS runs single-threaded inside each pool thread. Its own threads would
        // compete with ours and spin in sched_yield.
        openblas_set_num_threads(1)
        for worker in 1..<self.threads {
            let shared = self.shared
            let thread = Thread { Self.work(worker, shared) }
            thread.name = "loom-compute-\(worker)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit {
        shared.stopping.store(true, ordering: .releasing)
        for _ in 1..<threads { shared.wake.signal() }
    }

    /// Calls `body(part)` for every part in 0..<threads, in parallel; returns when all are done.
    public func run(_ body: (Int) -> Void) {
        guard threads > 1 else {
            body(0)
            return
        }
        let shared = self.shared
        withoutActuallyEscaping(body) { body in
            shared.job = body
            shared.remaining.store(threads - 1, ordering: .relaxed)
            shared.generation.wrappingAdd(1, ordering: .releasing)
            let asleep = shared.sleepers.exchange(0, ordering: .acquiringAndReleasing)
            for _ in 0..<asleep { shared.wake.signal() }
            body(0)
            while shared.remaining.load(ordering: .acquiring) > 0 {}
            shared.job = nil
        }
    }

    /// Splits 0..<count into `threads` contiguous ranges and runs them in parallel.
    public func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, max(count, 1))
        if parts <= 1 {
            body(0..<count)
            return
        }
        run { part in
            guard part < parts else { return }
            let start = count * part / parts
            let end = count * (part + 1) / parts
            if start < end { body(start..<end) }
        }
    }

    /// Splits 0..<count into chunks of `chunk` that the threads claim one at a time until none are left: a thread
    /// that starts late or is held up does less, where fixed shares would leave the others waiting for it.
    public func forEachChunk(_ count: Int, chunk: Int, _ body: (Range<Int>) -> Void) {
        let chunks = (count + chunk - 1) / max(chunk, 1)
        guard threads > 1, chunks > 1 else {
            body(0..<count)
            return
        }
        let shared = self.shared
        shared.nextChunk.store(0, ordering: .relaxed)
        run { _ in
            while true {
                let index = shared.nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < chunks else { return }
                let start = index &* chunk
                body(start..<min(count, start &+ chunk))
            }
        }
    }

    private static func work(_ index: Int, _ shared: Shared) {
        var seen = 0
        while !shared.stopping.load(ordering: .acquiring) {
            var spins = 0
            while shared.generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < 20_000 { continue }
                shared.sleepers.wrappingAdd(1, ordering: .acquiringAndReleasing)
                // Re-check after announcing sleep, so a job posted meanwhile is not missed.
                if shared.generation.load(ordering: .acquiring) != seen {
                    _ = shared.wake.wait(timeout: .now())
                    break
                }
                shared.wake.wait()
                if shared.stopping.load(ordering: .acquiring) { return }
                spins = 0
            }
            seen = shared.generation.load(ordering: .acquiring)
            shared.job?(index)
            shared.remaining.wrappingSubtract(1, ordering: .releasing)
        }
    }
}
