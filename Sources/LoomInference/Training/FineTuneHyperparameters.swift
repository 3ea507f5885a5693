/// What a fine-tune job may choose, with the ranges Loom accepts. `batchSize` sequences are run one after another
/// and their gradients summed (gradient accumulation) before each optimiser step, so memory does not grow with it.
public struct FineTuneHyperparameters: Sendable, Codable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var loraRank: Int
    public var loraAlpha: Float
    /// Share of the steps spent warming the learning rate up from zero, before its cosine decay.
    public var warmupFraction: Float
    public var weightDecay: Float
    /// Share of the samples held out for the validation loss when no validation set is given.
    public var validationSplit: Float

    public init(
        epochs: Int = 3, batchSize: Int = 4, learningRate: Float = 1e-3, loraRank: Int = 8, loraAlpha: Float = 16, warmupFraction: Float = 0.1,
        weightDecay: Float = 0, validationSplit: Float = 0.1
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha
        self.warmupFraction = warmupFraction
        self.weightDecay = weightDecay
        self.validationSplit = validationSplit
    }

    /// Every value outside its range, as (name, problem) pairs for one report.
    public func problems() -> [(name: String, problem: String)] {
        var problems: [(String, String)] = []
        func check(_ ok: Bool, _ name: String, _ value: Any, _ range: String) {
            if !ok { problems.append((name, "\(value) is outside \(range)")) }
        }
        check((1...100).contains(epochs), "n_epochs", epochs, "1…100")
        check((1...256).contains(batchSize), "batch_size", batchSize, "1…256")
        check(learningRate > 0 && learningRate <= 0.1 && learningRate.isFinite, "learning_rate", learningRate, "(0, 0.1]")
        check((1...256).contains(loraRank), "lora_rank", loraRank, "1…256")
        check(loraAlpha > 0 && loraAlpha <= 4096 && loraAlpha.isFinite, "lora_alpha", loraAlpha, "(0, 4096]")
        check((0...0.5).contains(warmupFraction), "warmup_fraction", warmupFraction, "0…0.5")
        check((0...1).contains(weightDecay), "weight_decay", weightDecay, "0…1")
        check((0...0.5).contains(validationSplit), "validation_split", validationSplit, "0…0.5")
        return problems
    }
}
