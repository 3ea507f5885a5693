import Foundation
import LoomInference
import Testing

/// Continuous batching on the real SmolLM2: sequences that share passes produce what they produce alone.
@Suite(.serialized) struct BatchSchedulerTests {
    static func collect(_ events: AsyncStream<BatchScheduler.Event>) async -> (text: String, summary: GenerationSummary?) {
        var text = ""
        for await event in events {
            switch event {
            case .text(let piece): text += piece
            case .finished(let summary): return (text, summary)
            }
        }
        return (text, nil)
    }

    @Test func batchedGreedyTokensEqualEachSequenceGeneratedAlone() async throws {
        let model = try Reference.smolLM()
        let runner = LlamaRunner(model: model, pool: ComputePool(threads: 2))
        let prompts = ["The capital of France is", "def fibonacci(n):", "Once upon a time, in a small village,", "1, 2, 3, 4,"]
        let alone = TextGenerator(runner: runner)
        let expected = prompts.map { alone.generate(GenerationRequest(prompt: model.encode($0), maxTokens: 12)) }

        // A fresh runner: the scheduler's thread owns it.
        let scheduler = BatchScheduler(runner: LlamaRunner(model: model, pool: ComputePool(threads: 2)), limits: .init(maxBatch: 4, prefillTokensPerPass: 5))
        defer { scheduler.shutdown() }
        let submissions = try prompts.map { try scheduler.submit(GenerationRequest(prompt: model.encode($0), maxTokens: 12)) }
        var results: [(text: String, summary: GenerationSummary?)] = []
        for submission in submissions { results.append(await Self.collect(submission.events)) }
        for (result, reference) in zip(results, expected) {
            #expect(result.summary?.tokens == reference.tokens)
            #expect(result.text == reference.text)
            #expect(result.summary?.finish == .length)
        }
    }

    @Test func aFullQueueRefusesNewSequences() throws {
        let model = try Reference.smolLM()
        let scheduler = BatchScheduler(runner: LlamaRunner(model: model, pool: ComputePool(threads: 1)), limits: .init(maxBatch: 1, maxWaiting: 1))
        defer { scheduler.shutdown() }
        let request = GenerationRequest(prompt: model.encode("Tell me a long story"), maxTokens: 400)
        let first = try scheduler.submit(request)
        let second = try scheduler.submit(request)
        #expect {
            try scheduler.submit(request)
        } throws: { error in
            if case .queueFull = error as? BatchScheduler.Rejection { return true }
            return false
        }
        first.cancel()
        second.cancel()
    }

    @Test func aPromptAsLongAsTheContextIsRefused() throws {
        let model = try Reference.smolLM()
        let scheduler = BatchScheduler(runner: LlamaRunner(model: model, pool: ComputePool(threads: 1)))
        defer { scheduler.shutdown() }
        let context = model.configuration.context
        let prompt = [Int](repeating: model.encode("hello")[0], count: context)
        #expect(throws: BatchScheduler.Rejection.promptTooLong(tokens: context, context: context)) { try scheduler.submit(GenerationRequest(prompt: prompt)) }
        #expect(throws: BatchScheduler.Rejection.emptyPrompt) { try scheduler.submit(GenerationRequest(prompt: [])) }
    }

    @Test func cancellingASequenceFreesItsPlaceForTheNext() async throws {
        let model = try Reference.smolLM()
        let scheduler = BatchScheduler(runner: LlamaRunner(model: model, pool: ComputePool(threads: 2)), limits: .init(maxBatch: 1, maxWaiting: 1))
        defer { scheduler.shutdown() }
        let long = try scheduler.submit(GenerationRequest(prompt: model.encode("Write an essay about rivers"), maxTokens: 4000))
        let started = ContinuousClock.now
        let next = try scheduler.submit(GenerationRequest(prompt: model.encode("Hi"), maxTokens: 3))
        long.cancel()
        let cancelled = await Self.collect(long.events)
        #expect(cancelled.summary?.finish == .cancelled)
        let result = await Self.collect(next.events)
        #expect(result.summary?.tokens.count == 3)
        // 4000 tokens would take minutes; the waiting sequence ran as soon as the first was cancelled.
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(scheduler.outstanding == 0)
    }

    @Test func seededSamplingRepeatsAcrossBatches() async throws {
        let model = try Reference.smolLM()
        let scheduler = BatchScheduler(runner: LlamaRunner(model: model, pool: ComputePool(threads: 2)))
        defer { scheduler.shutdown() }
        let request = GenerationRequest(prompt: model.encode("My favourite colour is"), maxTokens: 10, sampling: SamplingParameters(temperature: 0.9, seed: 42))
        let together = try [scheduler.submit(request), scheduler.submit(request)]
        let a = await Self.collect(together[0].events)
        let b = await Self.collect(together[1].events)
        let alone = await Self.collect(try scheduler.submit(request).events)
        #expect(a.summary?.tokens == b.summary?.tokens)
        #expect(a.summary?.tokens == alone.summary?.tokens)
        var other = request
        other.sampling.seed = 7
        let different = await Self.collect(try scheduler.submit(other).events)
        #expect(different.summary?.tokens != a.summary?.tokens)
    }

    @Test func workQueuedWithPerformRunsBetweenPassesOfARunningSequence() async throws {
        let model = try Reference.smolLM()
        let scheduler = BatchScheduler(runner: LlamaRunner(model: model, pool: ComputePool(threads: 1)))
        defer { scheduler.shutdown() }
        // Greedy SmolLM2 keeps counting, so this sequence runs to its limit, well after `perform` is queued.
        let running = try scheduler.submit(GenerationRequest(prompt: model.encode("1, 2, 3, 4, 5,"), maxTokens: 200))
        let seen = await scheduler.perform { scheduler.outstanding }
        #expect(seen == 1)
        let result = await Self.collect(running.events)
        #expect(result.summary?.finish == .length)
        #expect(result.summary?.tokens.count == 200)
    }
}
