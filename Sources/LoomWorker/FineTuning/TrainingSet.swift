import LoomInference
import LoomStore

/// The approved samples of one dataset version as a fine-tune job trains on them, checked the same way when the job
/// is created (the server) and before it trains (the worker): not empty, and every record within the model's context.
public enum TrainingSet {
    public static func requireSamples(_ samples: [SampleRecord], dataset: String, version: Int) throws(FineTuneFailure) {
        guard samples.isEmpty else { return }
        throw .invalidData("\(dataset)@\(version) has no approved samples; approve some with `loom samples approve \(dataset) ID…`")
    }

    /// The samples' training sequences for `model`; every sample longer than its context is named in the failure.
    public static func examples(_ samples: [SampleRecord], dataset: String, version: Int, model: LlamaModel) throws(FineTuneFailure) -> [TrainingExample] {
        try requireSamples(samples, dataset: dataset, version: version)
        let context = model.configuration.context
        var tooLong: [String] = []
        let examples = samples.map { sample in
            let example = sample.record.example(for: model)
            if example.tokens.count > context { tooLong.append("sample \(sample.id) has \(example.tokens.count) tokens") }
            return example
        }
        guard tooLong.isEmpty else {
            throw .invalidData("\(dataset)@\(version): records longer than the model's context of \(context) tokens: \(tooLong.joined(separator: "; "))")
        }
        return examples
    }
}
