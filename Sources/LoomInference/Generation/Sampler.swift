import Foundation

/// Chooses the next token from logits: greedy at temperature 0, otherwise temperature, top-k and top-p sampling
/// with a seeded generator (the same seed gives the same text), after a repetition penalty.
public struct SamplingParameters: Sendable, Equatable {
    public var temperature: Float
    public var topK: Int
    public var topP: Float
    public var repetitionPenalty: Float
    public var seed: UInt64?

    public init(temperature: Float = 0, topK: Int = 40, topP: Float = 0.95, repetitionPenalty: Float = 1, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
    }
}

public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var generator: SplitMix64

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        var system = SystemRandomNumberGenerator()
        generator = SplitMix64(seed: parameters.seed ?? system.next())
    }

    public mutating func next(_ logits: [Float], history: [Int]) -> Int {
        var logits = logits
        if parameters.repetitionPenalty != 1 {
            for token in Set(history) where token < logits.count {
                logits[token] = logits[token] > 0 ? logits[token] / parameters.repetitionPenalty : logits[token] * parameters.repetitionPenalty
            }
        }
        if parameters.temperature <= 0 { return Self.argmax(logits) }
        var candidates = logits.indices.map { (token: $0, logit: logits[$0]) }
        if parameters.topK > 0, parameters.topK < candidates.count {
            candidates = Array(candidates.sorted { $0.logit > $1.logit }.prefix(parameters.topK))
        } else {
            candidates.sort { $0.logit > $1.logit }
        }
        let top = candidates[0].logit
        var weights = candidates.map { expf(($0.logit - top) / parameters.temperature) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        if parameters.topP < 1 {
            var cumulative: Float = 0
            var keep = 0
            while keep < weights.count {
                cumulative += weights[keep]
                keep += 1
                if cumulative >= parameters.topP { break }
            }
            candidates = Array(candidates.prefix(keep))
            weights = Array(weights.prefix(keep))
        }
        let sum = weights.reduce(0, +)
        var pick = Float(generator.nextUnit()) * sum
        for (index, weight) in weights.enumerated() {
            pick -= weight
            if pick <= 0 { return candidates[index].token }
        }
        return candidates[candidates.count - 1].token
    }

    public static func argmax(_ values: [Float]) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for (index, value) in values.enumerated() where value > bestValue {
            best = index
            bestValue = value
        }
        return best
    }
}

/// A small, fast, seedable generator (SplitMix64): the sequence depends only on the seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1).
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
