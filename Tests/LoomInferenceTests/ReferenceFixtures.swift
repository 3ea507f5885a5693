import Foundation
import LoomInference

/// The values `Tests/Reference/make_inference_fixtures.py` computed with NumPy and Hugging Face's tokenizers, and
/// the model files `loom models pull` fetched.
enum Reference {
    struct Encoding: Decodable {
        var text: String
        var ids: [Int]
    }

    struct Generation: Decodable {
        struct Logits: Decodable {
            var ids: [Int]
            var values: [Double]
        }

        var name: String
        var prompt: String
        var prompt_ids: [Int]
        var greedy_ids: [Int]
        var margins: [Double]
        var first_logits: Logits
    }

    struct Embedding: Decodable {
        var text: String
        var ids: [Int]
        var vector: [Double]
    }

    struct Fixtures: Decodable {
        var bpe: [Encoding]
        var generations: [Generation]
        var wordpiece_embeddings: [Embedding]
        var model_card_cosine: Double
    }

    static let fixtures: Fixtures = {
        let url = Bundle.module.url(forResource: "reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }()

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where `loom models pull` put the models: `$LOOM_HOME/models`, else `.loom/models` in the checkout.
    static var modelsDirectory: String {
        if let home = ProcessInfo.processInfo.environment["LOOM_HOME"], !home.isEmpty { return home + "/models" }
        return root.appendingPathComponent(".loom/models").path
    }

    struct ModelMissing: Error, CustomStringConvertible {
        var underlying: any Error
        var description: String { "\(underlying): run `loom models pull` (./deploy/test does) to fetch the bundled models" }
    }

    /// Loaded once for every test; a missing file fails each test that needs it instead of crashing the run.
    private static let loadedSmolLM: Result<LlamaModel, ModelMissing> = Result {
        try LlamaModel(path: modelsDirectory + "/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf")
    }.mapError { ModelMissing(underlying: $0) }

    static func smolLM() throws -> LlamaModel { try loadedSmolLM.get() }
}
