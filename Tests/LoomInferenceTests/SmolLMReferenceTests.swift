import Foundation
import LoomInference
import Testing

/// The real SmolLM2 file against values computed another way.
@Suite(.serialized) struct SmolLMReferenceTests {
    @Test func byteLevelBPEMatchesHuggingFaceTokenizers() throws {
        let model = try Reference.smolLM()
        for encoding in Reference.fixtures.bpe {
            #expect(model.tokenizer.encode(encoding.text) == encoding.ids, "\(encoding.text.debugDescription)")
            #expect(model.tokenizer.decode(encoding.ids) == encoding.text)
        }
    }

    @Test func firstLogitsMatchTheFloat64Reference() throws {
        let runner = LlamaRunner(model: try Reference.smolLM(), pool: ComputePool(threads: 2))
        for generation in Reference.fixtures.generations {
            let logits = TextGenerator(runner: runner).prefill(generation.prompt_ids, cache: runner.makeCache())
            for (id, value) in zip(generation.first_logits.ids, generation.first_logits.values) {
                #expect(abs(Double(logits[id]) - value) < 0.02, "\(generation.name): logit of \(id) is \(logits[id]), reference \(value)")
            }
        }
    }

    @Test func greedyTokensEqualTheReferenceExactly() throws {
        let model = try Reference.smolLM()
        let generator = TextGenerator(runner: LlamaRunner(model: model, pool: ComputePool(threads: 2)))
        for generation in Reference.fixtures.generations {
            #expect(model.encode(generation.prompt) == generation.prompt_ids)
            let result = generator.generate(GenerationRequest(prompt: generation.prompt_ids, maxTokens: generation.greedy_ids.count))
            #expect(result.tokens == generation.greedy_ids, "\(generation.name)")
        }
    }
}
