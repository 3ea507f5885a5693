import Foundation
import LoomInference
import Testing

/// Constrained generation on the real SmolLM2: whatever the prompt, seed or temperature, the output parses and
/// satisfies the schema, and a schema that leaves one choice gets exactly it.
@Suite(.serialized) struct ConstrainedGenerationTests {
    static let ticket = """
        {"type": "object", "properties": {
            "category": {"enum": ["billing", "bug", "other"]},
            "urgent": {"type": "boolean"},
            "summary": {"type": "string", "maxLength": 60},
            "order": {"type": ["integer", "null"]},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 3}
        }, "required": ["category", "urgent", "summary", "order", "tags"]}
        """

    private func generate(_ schema: String, prompt: String, sampling: SamplingParameters, maxTokens: Int = 80) throws -> GenerationSummary {
        let model = try Reference.smolLM()
        let constraint = OutputConstraint(grammar: try JSONGrammar(try JSONSchema(json: schema)), vocabulary: model.constraintVocabulary)
        let text = model.chatTemplate.render([.init(role: "user", content: prompt)])
        let generator = TextGenerator(runner: LlamaRunner(model: model, pool: ComputePool(threads: 2)))
        return generator.generate(GenerationRequest(prompt: model.encode(text), maxTokens: maxTokens, sampling: sampling, constraint: constraint))
    }

    @Test(arguments: [
        ("My invoice charged me twice for order 1042, please fix it today!", SamplingParameters()),
        ("The app crashes when I open settings.", SamplingParameters(temperature: 1.2, topK: 0, topP: 1, seed: 3)),
        ("hello", SamplingParameters(temperature: 0.8, seed: 11)),
    ])
    func everyOutputParsesAndSatisfiesTheSchema(prompt: String, sampling: SamplingParameters) throws {
        let result = try generate(Self.ticket, prompt: "Describe this ticket as JSON: \(prompt)", sampling: sampling)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.text.utf8))
        #expect(JSONMatcherTests.valid(parsed, try JSONSchema(json: Self.ticket)), "\(result.text)")
        #expect(result.finish == .stop)
    }

    @Test func aShortBudgetStillEndsInAWholeDocument() throws {
        let model = try Reference.smolLM()
        let minimum = model.constraintVocabulary.minimumTokens(try JSONGrammar(try JSONSchema(json: Self.ticket)))
        #expect(minimum > 10 && minimum < 40)
        // A budget just over the minimum cannot hold a long summary: the mask steers to the shortest way out in time.
        for budget in [minimum, minimum + 3, minimum + 12] {
            let result = try generate(Self.ticket, prompt: "Write a very long story as JSON.", sampling: SamplingParameters(temperature: 1, seed: 5), maxTokens: budget)
            let parsed = try JSONSerialization.jsonObject(with: Data(result.text.utf8))
            #expect(JSONMatcherTests.valid(parsed, try JSONSchema(json: Self.ticket)), "\(budget): \(result.text)")
            #expect(result.tokens.count <= budget)
        }
    }

    /// A "model" that writes `prefix`, then always takes, of the tokens the mask allows, the one that makes the way
    /// out longest (`,"` after a value in an object): with the budget a few tokens over what the way out needs, the
    /// document must still end whole. Sampling found this (about 1 in 100 json_object answers of 40 tokens ended
    /// `…,"":null`) before tokens were checked against the budget.
    @Test(arguments: [(#"{"a":1"#, 2), (#"{"a":1"#, 3), (#"{"a":{"b":"c""#, 2), (#"{"a":{"b":"c""#, 3)])
    func aTokenThatLengthensTheWayOutPastTheBudgetIsOverruled(prefix: String, spare: Int) throws {
        let model = try Reference.smolLM()
        let vocabulary = model.constraintVocabulary
        let grammar = try JSONGrammar(try JSONSchema(json: #"{"type": "object"}"#))
        var matcher = JSONMatcher(grammar: grammar)
        let written = model.encode(prefix)
        for token in written {
            let accepted = matcher.advance(model.tokenizer.bytes(of: token))
            #expect(accepted, "\(prefix) is not valid JSON so far")
        }
        let budget = written.count + vocabulary.finishingTokens(matcher).count + spare
        var state = GenerationState(GenerationRequest(prompt: [1], maxTokens: budget, constraint: OutputConstraint(grammar: grammar, vocabulary: vocabulary)))
        for token in written { _ = state.append(token, model: model) }
        var overruled = 0
        while state.finish == nil {
            let longest = vocabulary.allowedTokens(matcher, remaining: budget - state.tokens.count).max { left, right in
                func length(_ token: Int) -> Int {
                    var next = matcher
                    return next.advance(model.tokenizer.bytes(of: token)) ? vocabulary.finishingTokens(next).count : -1
                }
                return length(left) < length(right)
            }!
            let token = state.budgeted(longest, model: model)
            if token != longest { overruled += 1 }
            _ = state.append(token, model: model)
            _ = matcher.advance(model.tokenizer.bytes(of: token))
        }
        #expect(overruled > 0, "the adversary was never overruled: the budget check is not exercised")
        #expect(state.tokens.count <= budget)
        #expect(try JSONSerialization.jsonObject(with: Data(state.text.utf8)) is [String: Any], "\(state.text)")
    }

    @Test func aSchemaWithOneAnswerGetsIt() throws {
        let result = try generate(#"{"const": {"answer": 42}}"#, prompt: "Anything.", sampling: SamplingParameters(temperature: 1, seed: 1))
        #expect(result.text == #"{"answer":42}"#)
    }

    @Test func jsonObjectModeGivesAnObject() throws {
        let result = try generate(#"{"type": "object"}"#, prompt: "Give me a JSON object describing a cat.", sampling: SamplingParameters())
        #expect(try JSONSerialization.jsonObject(with: Data(result.text.utf8)) is [String: Any], "\(result.text)")
    }
}
