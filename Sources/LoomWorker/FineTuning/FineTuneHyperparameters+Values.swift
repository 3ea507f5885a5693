import LoomInference
import LoomWorkflow

extension FineTuneHyperparameters {
    /// Reads OpenAI-style hyper-parameters (`n_epochs`, `batch_size`, `learning_rate` or
    /// `learning_rate_multiplier`, plus Loom's `lora_rank`, `lora_alpha`, `validation_split`, `warmup_fraction`,
    /// `weight_decay`); unknown keys, wrong types and values out of range are refused, all at once.
    public init(values: [String: Value]) throws(FineTuneFailure) {
        self.init()
        var problems: [String] = []
        func number(_ key: String) -> Double? {
            guard let value = values[key] else { return nil }
            switch value {
            case .int(let n): return Double(n)
            case .double(let d): return d
            case .string("auto"): return nil
            default:
                problems.append("\(key) must be a number")
                return nil
            }
        }
        func integer(_ key: String) -> Int? {
            guard let value = number(key) else { return nil }
            guard value.rounded() == value, abs(value) < 1e9 else {
                problems.append("\(key) must be a whole number")
                return nil
            }
            return Int(value)
        }
        let known: Set = [
            "n_epochs", "batch_size", "learning_rate", "learning_rate_multiplier", "lora_rank", "lora_alpha", "validation_split", "warmup_fraction",
            "weight_decay",
        ]
        for key in values.keys.sorted() where !known.contains(key) {
            problems.append("unknown hyper-parameter '\(key)'; expected one of \(known.sorted().joined(separator: ", "))")
        }
        if let epochs = integer("n_epochs") { self.epochs = epochs }
        if let batch = integer("batch_size") { batchSize = batch }
        if let rate = number("learning_rate") { learningRate = Float(rate) }
        // OpenAI's multiplier scales the default rate.
        if let multiplier = number("learning_rate_multiplier") { learningRate = Float(multiplier) * Self().learningRate }
        if let rank = integer("lora_rank") {
            loraRank = rank
            if values["lora_alpha"] == nil { loraAlpha = Float(2 * rank) }
        }
        if let alpha = number("lora_alpha") { loraAlpha = Float(alpha) }
        if let split = number("validation_split") { validationSplit = Float(split) }
        if let warmup = number("warmup_fraction") { warmupFraction = Float(warmup) }
        if let decay = number("weight_decay") { weightDecay = Float(decay) }
        problems += self.problems().map { "\($0.name): \($0.problem)" }
        guard problems.isEmpty else {
            throw FineTuneFailure(code: "invalid_hyperparameters", message: problems.joined(separator: "; "), param: "hyperparameters")
        }
    }

    /// The values as the API reports them.
    public var values: [String: Value] {
        [
            "n_epochs": .int(epochs), "batch_size": .int(batchSize), "learning_rate": .double(Double(learningRate)), "lora_rank": .int(loraRank),
            "lora_alpha": .double(Double(loraAlpha)), "validation_split": .double(Double(validationSplit)),
            "warmup_fraction": .double(Double(warmupFraction)), "weight_decay": .double(Double(weightDecay)),
        ]
    }
}
