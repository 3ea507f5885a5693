import Foundation
import Synchronization

/// Continuous batching on a thread of its own: every pass over the weights carries one decode step of each running
/// sequence plus a slice of a newcomer's prompt, and new sequences join between passes. A pass is a task on the
/// scheduler's `ComputeQueue` that queues the next one while there is work, so work that must not overlap a pass
/// (embedding a batch, through `perform`) runs between passes, and one set of compute threads serves everything.
public final class BatchScheduler: @unchecked Sendable {
    // `waiting`, `stopping` and `passQueued` are guarded by `lock`; `running` and the jobs' generation state belong
    // to the queue's thread alone.
    public struct Limits: Sendable {
        /// Sequences decoded together.
        public var maxBatch: Int
        /// Sequences waiting for a place in the batch before new ones are refused.
        public var maxWaiting: Int
        /// Prompt tokens prefilled per pass, so a long prompt does not stall the running streams.
        public var prefillTokensPerPass: Int

        public init(maxBatch: Int = 8, maxWaiting: Int = 32, prefillTokensPerPass: Int = 128) {
            self.maxBatch = max(1, maxBatch)
            self.maxWaiting = max(0, maxWaiting)
            self.prefillTokensPerPass = max(1, prefillTokensPerPass)
        }
    }

    public enum Event: Sendable {
        case text(String)
        case finished(GenerationSummary)
    }

    /// A queued sequence: its events, and a way to end it early (a client that went away).
    public struct Submission: Sendable {
        public let events: AsyncStream<Event>
        public let cancel: @Sendable () -> Void
    }

    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case queueFull(waiting: Int)
        case promptTooLong(tokens: Int, context: Int)
        case emptyPrompt
        case shutDown

        public var description: String {
            switch self {
            case .queueFull(let waiting): "the worker is busy: \(waiting) requests are already waiting; retry shortly"
            case .promptTooLong(let tokens, let context): "the prompt has \(tokens) tokens; this model's context is \(context) tokens"
            case .emptyPrompt: "the prompt is empty"
            case .shutDown: "the worker is shutting down"
            }
        }
    }

    public let runner: LlamaRunner
    public let limits: Limits
    private let queue = ComputeQueue(name: "loom-scheduler")
    private let lock = NSLock()
    private var waiting: [Job] = []
    private var stopping = false
    private var passQueued = false
    private var running: [Job] = []
    private let counts = Atomic<Int>(0)

    public init(runner: LlamaRunner, limits: Limits = Limits()) {
        self.runner = runner
        self.limits = limits
    }

    /// Sequences admitted and not yet finished (running or waiting).
    public var outstanding: Int { counts.load(ordering: .relaxed) }

    /// Queues a generation. The stream yields text as it is released and ends with `.finished`; a consumer that
    /// stops listening, or `cancel`, ends the sequence before the next pass.
    public func submit(_ request: GenerationRequest) throws(Rejection) -> Submission {
        let context = runner.model.configuration.context
        guard !request.prompt.isEmpty else { throw .emptyPrompt }
        guard request.prompt.count < context else { throw .promptTooLong(tokens: request.prompt.count, context: context) }
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .unbounded)
        let job = Job(request: request.fitted(toContext: context), cache: runner.makeCache(), continuation: continuation)
        let cancel: @Sendable () -> Void = { [weak self] in
            job.cancelled.store(true, ordering: .relaxed)
            self?.schedulePass()
        }
        continuation.onTermination = { _ in cancel() }
        let rejection: Rejection? = lock.withLock {
            guard !stopping else { return .shutDown }
            // Running and waiting sequences together; `running` itself belongs to the queue's thread.
            guard outstanding < limits.maxBatch + limits.maxWaiting else { return .queueFull(waiting: waiting.count) }
            waiting.append(job)
            counts.wrappingAdd(1, ordering: .relaxed)
            return nil
        }
        if let rejection { throw rejection }
        schedulePass()
        return Submission(events: stream, cancel: cancel)
    }

    /// Runs `body` on the scheduler thread between two passes.
    public func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await queue.perform(body)
    }

    /// Ends every sequence and stops the thread after its current pass.
    public func shutdown() {
        lock.withLock { stopping = true }
        queue.enqueue { [self] in
            let abandoned = running + lock.withLock {
                defer { waiting = [] }
                return waiting
            }
            running = []
            for job in abandoned {
                job.state.cancel()
                job.end()
            }
        }
        queue.shutdown()
    }

    /// Queues a pass unless one is queued already.
    private func schedulePass() {
        let queued = lock.withLock {
            guard !passQueued, !stopping else { return false }
            passQueued = true
            return true
        }
        if queued { queue.enqueue { [self] in step() } }
    }

    /// Admits waiting sequences, runs a pass, and queues the next while any sequence is left — behind the work
    /// queued meanwhile.
    private func step() {
        let admitted: [Job]? = lock.withLock {
            guard !stopping else { return nil }
            let count = min(waiting.count, limits.maxBatch - running.count)
            defer { waiting.removeFirst(count) }
            return Array(waiting.prefix(count))
        }
        guard let admitted else { return }
        running += admitted
        pass()
        let more = lock.withLock {
            passQueued = !(running.isEmpty && waiting.isEmpty)
            return passQueued
        }
        if more { queue.enqueue { [self] in step() } }
    }

    /// One forward pass: a decode step per running sequence, then prompt slices while the budget lasts.
    private func pass() {
        for job in running where job.cancelled.load(ordering: .relaxed) {
            job.state.cancel()
            retire(job)
        }
        running.removeAll { $0.state.finish != nil }
        guard !running.isEmpty else { return }
        var steps: [LlamaRunner.Step] = []
        var sampled: [Job] = []
        var budget = limits.prefillTokensPerPass
        for job in running where job.prefilled == job.request.prompt.count {
            steps.append(LlamaRunner.Step(
                token: job.history.last!, position: job.history.count - 1, cache: job.cache, wantsLogits: true, adapter: job.request.adapter))
            sampled.append(job)
        }
        for job in running where job.prefilled < job.request.prompt.count && budget > 0 {
            let prompt = job.request.prompt
            let end = min(prompt.count, job.prefilled + budget)
            for position in job.prefilled..<end {
                steps.append(LlamaRunner.Step(
                    token: prompt[position], position: position, cache: job.cache, wantsLogits: position == prompt.count - 1,
                    adapter: job.request.adapter))
            }
            budget -= end - job.prefilled
            job.prefilled = end
            if end == prompt.count { sampled.append(job) }
        }
        let logits = runner.forward(steps)
        for (job, row) in zip(sampled, logits) {
            job.accept(row, model: runner.model)
            if job.state.finish != nil { retire(job) }
        }
        running.removeAll { $0.state.finish != nil }
    }

    /// Counts a finished sequence out before its consumer hears of it, so `outstanding` is never stale to them.
    private func retire(_ job: Job) {
        counts.wrappingSubtract(1, ordering: .relaxed)
        job.end()
    }

    /// One sequence as the scheduler thread sees it.
    final class Job: @unchecked Sendable {
        // Everything but `cancelled` is touched by the scheduler thread only.
        let request: GenerationRequest
        let cache: KVCache
        let continuation: AsyncStream<Event>.Continuation
        let cancelled = Atomic<Bool>(false)
        var state: GenerationState
        var sampler: Sampler
        var history: [Int]
        var prefilled = 0

        init(request: GenerationRequest, cache: KVCache, continuation: AsyncStream<Event>.Continuation) {
            self.request = request
            self.cache = cache
            self.continuation = continuation
            self.state = GenerationState(request)
            self.sampler = Sampler(request.sampling)
            self.history = request.prompt
        }

        func accept(_ logits: [Float], model: LlamaModel) {
            var logits = logits
            state.constrain(&logits)
            let token = state.budgeted(sampler.next(logits, history: history), model: model)
            history.append(token)
            let text = state.append(token, model: model)
            // `submit` fitted max tokens to the context, so every sequence finishes by its limit.
            if !text.isEmpty { continuation.yield(.text(text)) }
        }

        func end() {
            continuation.yield(.finished(GenerationSummary(
                tokens: state.tokens, text: state.text, finish: state.finish ?? .cancelled, promptTokens: request.prompt.count)))
            continuation.finish()
        }
    }
}
