import LoomInference
import LoomWorker
import LoomWorkflow
import Synchronization

/// Counts a training record's tokens as the bundled chat model will see them (its tokenizer and chat template),
/// so an import refuses records longer than the model's context. The model is mapped once per process; until it
/// is installed there is nothing to count with, and the check waits for the fine-tune job, which makes it again.
enum TrainingTokenizer {
    private static let loaded = Mutex<[String: LlamaModel]>([:])

    static func model(_ name: String) -> LlamaModel? {
        if let known = loaded.withLock({ $0[name] }) { return known }
        guard let registry = try? ModelRegistry.load(), let entry = registry.entry(name), entry.kind == .chat, registry.isInstalled(entry),
            let model = try? LlamaModel(path: registry.location(of: entry))
        else { return nil }
        loaded.withLock { $0[name] = model }
        return model
    }

    /// Refuses a record longer than the model's context; without a model there is nothing to count with.
    static func checkLength(_ record: TrainingRecord, model: LlamaModel?) throws(TrainingRecordError) {
        guard let model else { return }
        let tokens = tokens(record, model: model)
        if tokens > model.configuration.context { throw .tooLong(tokens: tokens, context: model.configuration.context) }
    }

    static func tokens(_ record: TrainingRecord, model: LlamaModel) -> Int {
        record.example(for: model).tokens.count
    }
}
