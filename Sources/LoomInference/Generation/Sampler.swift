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
        if parameters.temperature <= 0 { return logits.withUnsafeBufferPointer { Self.argmax($0) } }
        let draw = Float(generator.nextUnit())
        return logits.withUnsafeBufferPointer { Self.choose(from: $0, parameters: parameters, draw: draw) }
    }

    /// The first index of the largest value (NaN never is).
    static func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
        guard let base = values.baseAddress else { return 0 }
        let largest = RowKernels.maximum(base, count: values.count)
        return values.firstIndex(of: largest) ?? 0
    }

    /// The token that `draw` (in [0, 1)) picks. Candidates go best first (ties to the lower id): the top k, or
    /// every token. Each weighs exp((logit − best) / temperature); the smallest prefix holding top-p of the weight
    /// is kept, and walked until `draw` × its weight is used up. Only the head of the ranking is sorted (every
    /// token within 12 temperatures of the best, which holds all but a sliver of the weight); the rest is sorted
    /// only when the walk reaches it. Sorting all 49,152 candidates took about 5 ms a token, as long as the
    /// forward pass itself.
    static func choose(from logits: UnsafeBufferPointer<Float>, parameters: SamplingParameters, draw: Float) -> Int {
        guard let base = logits.baseAddress, !logits.isEmpty else { return 0 }
        let temperature = parameters.temperature
        let best = RowKernels.maximum(base, count: logits.count)
        guard best.isFinite else { return argmax(logits) }
        // Each token's weight, computed once for the total and the walk alike.
        var weights = [Float](repeating: 0, count: logits.count)
        weights.withUnsafeMutableBufferPointer { weights in
            for token in logits.indices {
                let logit = logits[token]
                weights[token] = logit > -.infinity ? RowKernels.exp((logit - best) / temperature) : 0
            }
        }
        var ranking: CandidateRanking
        var total: Float = 0
        if parameters.topK > 0, parameters.topK < logits.count {
            ranking = CandidateRanking(top: parameters.topK, of: logits)
            for token in ranking.head { total += weights[token] }
        } else {
            ranking = CandidateRanking(above: best - 12 * temperature, of: logits)
            total = weights.withUnsafeBufferPointer { RowKernels.total($0.baseAddress!, count: $0.count) }
        }
        var kept = total
        if parameters.topP < 1 {
            var cumulative: Float = 0
            var index = 0
            while let token = ranking.token(at: index) {
                cumulative += weights[token]
                index += 1
                if cumulative >= parameters.topP * total { break }
            }
            kept = cumulative
        }
        var pick = draw * kept
        var index = 0
        var last = 0
        while let token = ranking.token(at: index) {
            pick -= weights[token]
            if pick <= 0 { return token }
            (last, index) = (token, index + 1)
        }
        return last
    }
}

/// Token ids best first (higher logit, then lower id; NaN last), sorting only what a walk from the best reaches:
/// a head picked up front, the rest when asked for.
struct CandidateRanking {
    private let logits: UnsafeBufferPointer<Float>
    private(set) var head: [Int]
    private var rest: [Int]?

    /// The `count` best tokens, and nothing after them.
    init(top count: Int, of logits: UnsafeBufferPointer<Float>) {
        self.logits = logits
        var best: [Int] = []
        best.reserveCapacity(count + 1)
        for token in logits.indices where best.count < count || Self.ranks(token, before: best[best.count - 1], logits) {
            // Later tokens go after equal ones: ids ascend among ties.
            var low = 0, high = best.count
            while low < high {
                let middle = (low + high) / 2
                if Self.ranks(best[middle], before: token, logits) { low = middle + 1 } else { high = middle }
            }
            best.insert(token, at: low)
            if best.count > count { best.removeLast() }
        }
        head = best
        rest = nil
    }

    /// Every token: those with a logit at or above `threshold` sorted now, the others when the walk gets there.
    init(above threshold: Float, of logits: UnsafeBufferPointer<Float>) {
        self.logits = logits
        var head: [Int] = [], rest: [Int] = []
        for token in logits.indices {
            if logits[token] >= threshold { head.append(token) } else { rest.append(token) }
        }
        self.head = head.sorted { Self.ranks($0, before: $1, logits) }
        self.rest = rest
    }

    /// The candidate at `index` of the ranking, or nil past its end.
    mutating func token(at index: Int) -> Int? {
        if index >= head.count, let unranked = rest {
            head += unranked.sorted { Self.ranks($0, before: $1, logits) }
            rest = nil
        }
        return index < head.count ? head[index] : nil
    }

    private static func ranks(_ a: Int, before b: Int, _ logits: UnsafeBufferPointer<Float>) -> Bool {
        let (x, y) = (key(logits[a]), key(logits[b]))
        return x > y || (x == y && a < b)
    }

    private static func key(_ logit: Float) -> Float { logit.isNaN ? -.infinity : logit }
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
