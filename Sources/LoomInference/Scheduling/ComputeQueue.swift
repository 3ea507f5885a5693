import Foundation

/// A thread that runs work in order: whoever owns a `ComputePool` must drive it from one thread at a time. The
/// `BatchScheduler` runs its passes on one; a worker with no chat model runs its embedding batches on its own.
public final class ComputeQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var tasks: [() -> Void] = []
    private var stopping = false

    public init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// Runs `body` on the queue's thread after the work queued before it.
    public func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            enqueue { continuation.resume(returning: body()) }
        }
    }

    /// Queues `work` behind what is queued already.
    func enqueue(_ work: @escaping () -> Void) {
        condition.lock()
        tasks.append(work)
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread once the queued work has run.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while !stopping && tasks.isEmpty { condition.wait() }
            let pending = tasks
            tasks = []
            let done = stopping
            condition.unlock()
            for task in pending { task() }
            if done { return }
        }
    }
}
