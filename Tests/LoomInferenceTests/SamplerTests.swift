import Foundation
import Testing

@testable import LoomInference

/// `Sampler` against the definition it replaced: every candidate sorted best first (ties to the lower id), weights
/// exp((logit − best) / temperature) normalised, the top-p prefix kept, and the draw walked through it. The
/// definition works in Double; Float's walk may pick a neighbour when the draw falls within 1e-5 of the border
/// between two tokens' shares, and only then.
struct SamplerTests {
    /// The token the definition picks, and how far the draw's point lies from the nearer border of its share.
    static func definition(_ logits: [Float], _ parameters: SamplingParameters, draw: Double) -> (token: Int, margin: Double) {
        var ranked = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if parameters.topK > 0, parameters.topK < ranked.count { ranked = Array(ranked.prefix(parameters.topK)) }
        let best = Double(logits[ranked[0]])
        var weights = ranked.map { Foundation.exp((Double(logits[$0]) - best) / Double(parameters.temperature)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        if parameters.topP < 1 {
            var (cumulative, keep) = (0.0, 0)
            while keep < weights.count {
                cumulative += weights[keep]
                keep += 1
                if cumulative >= Double(parameters.topP) { break }
            }
            (ranked, weights) = (Array(ranked.prefix(keep)), Array(weights.prefix(keep)))
        }
        var pick = draw * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            pick -= weight
            if pick <= 0 { return (ranked[index], min(-pick, weight + pick)) }
        }
        return (ranked[ranked.count - 1], 0)
    }

    /// Whether the fast walk picks the definition's token, or a neighbour at a border within 1e-5.
    static func agrees(_ logits: [Float], _ parameters: SamplingParameters, draw: Float) -> Bool {
        let definition = definition(logits, parameters, draw: Double(draw))
        return choose(logits, parameters, draw: draw) == definition.token || definition.margin < 1e-5
    }

    static func choose(_ logits: [Float], _ parameters: SamplingParameters, draw: Float) -> Int {
        logits.withUnsafeBufferPointer { Sampler.choose(from: $0, parameters: parameters, draw: draw) }
    }

    @Test(arguments: [
        SamplingParameters(temperature: 1, topK: 0, topP: 1),
        SamplingParameters(temperature: 0.7, topK: 40, topP: 0.95),
        SamplingParameters(temperature: 1.5, topK: 0, topP: 0.9),
        SamplingParameters(temperature: 0.3, topK: 0, topP: 1),
        SamplingParameters(temperature: 2, topK: 1000, topP: 1),
    ])
    func aDrawPicksTheTokenTheFullSortPicks(_ parameters: SamplingParameters) {
        var generator = SplitMix64(seed: 17)
        // Logits spread like a language model's, with ties (rounded to quarters) and a few far ahead.
        var logits = (0..<5000).map { _ in (Float.random(in: -8...4, using: &generator) * 4).rounded() / 4 }
        for token in [7, 4242, 13] { logits[token] = 9 }
        var disagreements: [String] = []
        for _ in 0..<300 {
            let draw = Float.random(in: 0..<1, using: &generator)
            if !Self.agrees(logits, parameters, draw: draw) {
                disagreements.append("draw \(draw): \(Self.choose(logits, parameters, draw: draw)), the definition \(Self.definition(logits, parameters, draw: Double(draw)))")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    /// Most of the weight below the sorted head (12 temperatures under the best): the walk goes on into the rest,
    /// which is ranked only then; -∞ never comes up.
    @Test func aDrawBeyondTheHeadWalksOnIntoTheRest() {
        let logits = [Float(0)] + (0..<300_000).map { -12.5 - Float($0 % 7) / 8 } + [-.infinity]
        let parameters = SamplingParameters(temperature: 1, topK: 0, topP: 1)
        var best = 0
        for step in 0..<40 {
            let draw = (Float(step) + 0.5) / 40
            let token = Self.choose(logits, parameters, draw: draw)
            #expect(Self.agrees(logits, parameters, draw: draw), "draw \(draw): \(token)")
            #expect(token != logits.count - 1)
            if token == 0 { best += 1 }
        }
        // The best token holds 1 / (1 + Σ 300,000 tail weights ≈ 0.79) ≈ 56% of the weight: the draws below 0.558.
        #expect(best == 22, "\(best)")
    }

    @Test func aSeededSamplerDrawsTokensAsOftenAsTheirProbability() {
        let logits: [Float] = [2, 1, 0, -1, -.infinity]
        var sampler = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 1, seed: 5))
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<20_000 { counts[sampler.next(logits, history: [])] += 1 }
        let exponentials = logits.map { Foundation.exp(Double($0)) }
        for token in logits.indices {
            let expected = exponentials[token] / exponentials.reduce(0, +)
            #expect(abs(Double(counts[token]) / 20_000 - expected) < 0.01, "token \(token): \(counts[token])")
        }
    }

    @Test func greedyTakesTheFirstLargestAndPassesOverNaN() {
        var sampler = Sampler(SamplingParameters())
        #expect(sampler.next([1, .nan, 3, 2, 3], history: []) == 2)
        #expect(sampler.next((0..<100).map { Float($0 % 37) } + [.nan], history: []) == 36)
    }
}
