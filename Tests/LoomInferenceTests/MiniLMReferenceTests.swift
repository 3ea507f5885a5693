import Foundation
import LoomInference
import Testing

@Suite(.serialized) struct MiniLMReferenceTests {
    static let encoder: BertEncoder = {
        do {
            return try BertEncoder(directory: Reference.modelsDirectory + "/minilm-l6", pool: ComputePool(threads: 2))
        } catch {
            fatalError("\(error): run `loom models pull` (./deploy/test does) to fetch the bundled models")
        }
    }()

    @Test func wordPieceMatchesHuggingFaceTokenizers() {
        for embedding in Reference.fixtures.wordpiece_embeddings {
            #expect(Self.encoder.tokenizer.encode(embedding.text) == embedding.ids, "\(embedding.text)")
        }
    }

    @Test func embeddingsMatchTheFloat64ReferenceInABatch() {
        let references = Reference.fixtures.wordpiece_embeddings
        let (vectors, tokens) = Self.encoder.embed(references.map(\.text))
        #expect(tokens == references.map(\.ids.count))
        for (vector, reference) in zip(vectors, references) {
            let worst = zip(vector, reference.vector).map { abs(Double($0) - $1) }.max() ?? 1
            #expect(worst < 1e-4, "\(reference.text): largest difference \(worst)")
        }
    }

    @Test func theModelCardsSentencesHaveTheirCosine() {
        let (vectors, _) = Self.encoder.embed(["A man is eating food.", "A man is eating a piece of bread."])
        let cosine = zip(vectors[0], vectors[1]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        #expect(abs(Double(cosine) - Reference.fixtures.model_card_cosine) < 1e-4)
        #expect(abs(cosine - 0.755) < 0.001)
    }

    @Test func paddingDoesNotChangeAnEmbedding() {
        let alone = Self.encoder.embed(["short"]).vectors[0]
        let padded = Self.encoder.embed(["short", "a much longer sentence that makes the batch pad the short one"]).vectors[0]
        #expect(zip(alone, padded).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}
