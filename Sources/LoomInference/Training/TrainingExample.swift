/// One training sequence: its tokens, and how much each token counts as a prediction target (1 for the
/// assistant's tokens, 0 for the prompt). `weights[i]` weighs predicting `tokens[i]` from the tokens before it, so
/// `weights[0]` is always 0.
public struct TrainingExample: Sendable, Equatable {
    public var tokens: [Int]
    public var weights: [Float]

    public init(tokens: [Int], weights: [Float]) {
        precondition(tokens.count == weights.count, "one weight per token")
        self.tokens = tokens
        self.weights = weights
        if !self.weights.isEmpty { self.weights[0] = 0 }
    }

    /// The total weight of the targets: the number of trained tokens when weights are 0 or 1.
    public var targetWeight: Float { weights.reduce(0, +) }
}

/// A summed loss and the target weight it is summed over, so losses of many sequences average correctly.
public struct TrainingLoss: Sendable, Equatable {
    public var sum: Double
    public var weight: Double

    public init(sum: Double = 0, weight: Double = 0) {
        self.sum = sum
        self.weight = weight
    }

    /// Mean cross-entropy per target token (NaN with no targets).
    public var mean: Double { weight > 0 ? sum / weight : .nan }

    public static func + (a: TrainingLoss, b: TrainingLoss) -> TrainingLoss {
        TrainingLoss(sum: a.sum + b.sum, weight: a.weight + b.weight)
    }
}
