/// What to generate: a prompt and how to sample, when to stop.
public struct GenerationRequest: Sendable {
    public var prompt: [Int]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Text that ends the generation; it is not part of the result.
    public var stop: [String]
    /// A fine-tuned adapter to apply over the base model, if the request names one.
    public var adapter: ServedAdapter?
    /// JSON the output must be (a schema, or any object): each token is chosen among those that keep it valid.
    public var constraint: OutputConstraint?

    public init(
        prompt: [Int], maxTokens: Int = 128, sampling: SamplingParameters = SamplingParameters(), stop: [String] = [], adapter: ServedAdapter? = nil,
        constraint: OutputConstraint? = nil
    ) {
        self.constraint = constraint
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.adapter = adapter
    }
}

extension GenerationRequest {
    /// The request with `maxTokens` cut so prompt and completion fit in `context` tokens: a sequence then always
    /// ends by its limit before it runs out of positions.
    func fitted(toContext context: Int) -> GenerationRequest {
        var fitted = self
        fitted.maxTokens = max(1, min(maxTokens, context - prompt.count))
        return fitted
    }
}

/// A finished generation: its tokens and text, why it ended, and the prompt's length for usage counts.
public struct GenerationSummary: Sendable {
    public var tokens: [Int]
    public var text: String
    public var finish: FinishReason
    public var promptTokens: Int

    public init(tokens: [Int], text: String, finish: FinishReason, promptTokens: Int) {
        self.tokens = tokens
        self.text = text
        self.finish = finish
        self.promptTokens = promptTokens
    }
}

/// How a generation ended, as OpenAI names it.
public enum FinishReason: String, Sendable {
    case stop
    case length
    case cancelled
}

/// Text produced so far: each generated token's text as it becomes complete, stop strings withheld until they can
/// no longer match, and the reason the generation ended.
public struct GenerationState: Sendable {
    public private(set) var tokens: [Int] = []
    public private(set) var text = ""
    private var decoder = UTF8Stream()
    /// Text decoded but not yet released, because it could be the start of a stop string.
    private var held = ""
    public let request: GenerationRequest
    public private(set) var finish: FinishReason?
    /// Where a constrained output is within its grammar.
    private var matcher: JSONMatcher?

    public init(_ request: GenerationRequest) {
        self.request = request
        matcher = request.constraint.map { JSONMatcher(grammar: $0.grammar) }
    }

    /// Leaves only the tokens a constrained request may take next (the others can no longer be sampled).
    public func constrain(_ logits: inout [Float]) {
        guard let matcher, let constraint = request.constraint else { return }
        let allowed = constraint.vocabulary.allowedTokens(matcher, remaining: request.maxTokens - tokens.count)
        var masked = [Float](repeating: -.infinity, count: logits.count)
        for token in allowed where token < logits.count { masked[token] = logits[token] }
        logits = masked
    }

    /// The sampled `token`, or — when it would leave less of the budget than the shortest way out then needs — the
    /// way out's next token. The mask cannot see this: a token such as `,"` in an object is valid, yet makes the way
    /// out longer by more than the one token it takes.
    public func budgeted(_ token: Int, model: LlamaModel) -> Int {
        guard let matcher, let vocabulary = request.constraint?.vocabulary, !model.stopTokens.contains(token) else { return token }
        var next = matcher
        guard next.advance(model.tokenizer.bytes(of: token)), !next.isComplete else { return token }
        let left = request.maxTokens - tokens.count - 1
        if vocabulary.finishingTokens(next).count + 1 <= left { return token }
        return vocabulary.finishingTokens(matcher).first ?? token
    }

    /// Adds a token; returns the text it releases.
    public mutating func append(_ token: Int, model: LlamaModel) -> String {
        guard finish == nil else { return "" }
        tokens.append(token)
        if model.stopTokens.contains(token) {
            finish = .stop
            return flush()
        }
        if matcher != nil, !matcher!.advance(model.tokenizer.bytes(of: token)) {
            // Only reachable by a token the mask did not offer: end rather than emit invalid JSON.
            finish = .stop
            return flush()
        }
        held += decoder.append(model.tokenizer.bytes(of: token))
        if let stop = request.stop.compactMap({ stop in held.range(of: stop).map { (stop, $0) } }).min(by: { $0.1.lowerBound < $1.1.lowerBound }) {
            let released = String(held[..<stop.1.lowerBound])
            held = ""
            text += released
            finish = .stop
            return released
        }
        if tokens.count >= request.maxTokens {
            finish = .length
            return flush()
        }
        // Release everything that cannot be the beginning of a stop string.
        let keep = request.stop.map { stop in Self.overlap(held, stop) }.max() ?? 0
        let released = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        text += released
        return released
    }

    public mutating func cancel() {
        if finish == nil { finish = .cancelled }
    }

    private mutating func flush() -> String {
        let released = held + decoder.finish()
        held = ""
        text += released
        return released
    }

    /// The longest suffix of `text` that is a proper prefix of `stop`.
    static func overlap(_ text: String, _ stop: String) -> Int {
        var length = min(text.count, stop.count - 1)
        while length > 0 {
            if text.hasSuffix(String(stop.prefix(length))) { return length }
            length -= 1
        }
        return 0
    }
}
