/// Generates one sequence at a time on a runner: the prompt in chunks, then a token per pass. The worker's
/// scheduler interleaves many sequences instead; this serves the CLI, tests and benchmarks.
public struct TextGenerator: Sendable {
    public let runner: LlamaRunner
    /// Prompt tokens per prefill pass.
    public static let prefillChunk = 256

    public init(runner: LlamaRunner) {
        self.runner = runner
    }

    /// Runs the prompt through the model; returns the logits after its last token.
    public func prefill(_ prompt: [Int], cache: KVCache, adapter: ServedAdapter? = nil) -> [Float] {
        var logits: [Float] = []
        var start = 0
        while start < prompt.count {
            let end = min(start + Self.prefillChunk, prompt.count)
            let steps = (start..<end).map { LlamaRunner.Step(token: prompt[$0], position: $0, cache: cache, wantsLogits: $0 == prompt.count - 1, adapter: adapter) }
            logits = runner.forward(steps).last ?? logits
            start = end
        }
        return logits
    }

    public func generate(_ request: GenerationRequest, isCancelled: () -> Bool = { false }, onText: (String) -> Void = { _ in }) -> GenerationSummary {
        let model = runner.model
        let cache = runner.makeCache()
        let request = request.fitted(toContext: model.configuration.context)
        var state = GenerationState(request)
        var sampler = Sampler(request.sampling)
        var logits = prefill(request.prompt, cache: cache, adapter: request.adapter)
        var position = request.prompt.count
        var history = request.prompt
        while state.finish == nil {
            if isCancelled() {
                state.cancel()
                break
            }
            state.constrain(&logits)
            let token = state.budgeted(sampler.next(logits, history: history), model: model)
            history.append(token)
            let text = state.append(token, model: model)
            if !text.isEmpty { onText(text) }
            guard state.finish == nil else { break }
            logits = runner.forward([LlamaRunner.Step(token: token, position: position, cache: cache, wantsLogits: true, adapter: request.adapter)])[0]
            position += 1
        }
        return GenerationSummary(tokens: state.tokens, text: state.text, finish: state.finish ?? .stop, promptTokens: request.prompt.count)
    }
}
