import LoomInference
import LoomWorkflow

extension TrainingRecord {
    /// The record as a training sequence for `model`: what fine-tuning trains on and what import checks the
    /// length of, so both count the same tokens.
    public func example(for model: LlamaModel) -> TrainingExample {
        switch self {
        case .chat(let turns):
            model.trainingExample(turns: turns.map { .init(role: $0.role.rawValue, content: $0.content, trained: $0.role == .assistant && $0.trained) })
        case .completion(let prompt, let completion):
            model.trainingExample(prompt: prompt, completion: completion)
        }
    }
}
