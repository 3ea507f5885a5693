import Dispatch
import Foundation
import Synchronization

/// Runs heavy math on a fixed number of threads of its own, never on the caller's concurrency or event-loop threads.
/// Workers spin briefly between jobs (a forward pass issues a few hundred per token) and then sleep.
public final class ComputePool: @unchecked Sendable {
    // Job state is published through `generation` (release) and read after it (acquire); see `run`.
    public let threads: Int
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private let wake = DispatchSemaphore(value: 0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    public init(threads: Int) {
        self.threads = max(1, threads)
        for worker in 1..<self.threads {
            let thread = Thread { [unowned self] in self.work(worker) }
            thread.name = "loom-compute-\(worker)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit {
        stopping.store(true, ordering: .releasing)
        for _ in 1..<threads { wake.signal() }
    }

    /// Calls `body(part)` for every part in 0..<threads, in parallel; returns when all are done.
    public func run(_ body: (Int) -> Void) {
        guard threads > 1 else {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            remaining.store(threads - 1, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .releasing)
            let asleep = sleepers.exchange(0, ordering: .acquiringAndReleasing)
            for _ in 0..<asleep { wake.signal() }
            body(0)
            while remaining.load(ordering: .acquiring) > 0 {}
            job = nil
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

    private func work(_ index: Int) {
        var seen = 0
        while !stopping.load(ordering: .acquiring) {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < 20_000 { continue }
                sleepers.wrappingAdd(1, ordering: .acquiringAndReleasing)
                // Re-check after announcing sleep, so a job posted meanwhile is not missed.
                if generation.load(ordering: .acquiring) != seen {
                    _ = wake.wait(timeout: .now())
                    break
                }
                wake.wait()
                if stopping.load(ordering: .acquiring) { return }
                spins = 0
            }
            seen = generation.load(ordering: .acquiring)
            job?(index)
            remaining.wrappingSubtract(1, ordering: .releasing)
        }
    }
}
