import Foundation

/// RoPE, ggml's "normal" mode: adjacent pairs (2i, 2i+1) of each head turn by position × base^(-2i/d). Turning
/// back (`inverse`) is the transpose, which is what the backward pass needs.
struct RotaryEmbedding: Sendable {
    let dimension: Int
    let inverseFrequencies: [Float]

    init(_ configuration: LlamaConfiguration) {
        dimension = configuration.headDimension
        let half = dimension / 2
        inverseFrequencies = (0..<half).map { powf(configuration.ropeBase, -2 * Float($0) / Float(2 * half)) }
    }

    /// Each pair's cosine and sine at each position, `dimension` values per position: a pass works them out once
    /// for all its layers (thirty in SmolLM2) instead of once per layer.
    func turns(for positions: some Collection<Int>) -> [Float] {
        var turns: [Float] = []
        turns.reserveCapacity(positions.count * dimension)
        for position in positions {
            for frequency in inverseFrequencies {
                let angle = Float(position) * frequency
                turns.append(cosf(angle))
                turns.append(sinf(angle))
            }
        }
        return turns
    }

    /// Turns `count` rows of queries (`heads` heads each) and keys (`kvHeads` each), row `i` by position `i` of
    /// `turns`, or back by it.
    func rotate(
        queries: UnsafeMutablePointer<Float>, heads: Int, keys: UnsafeMutablePointer<Float>, kvHeads: Int, count: Int, turns: [Float],
        inverse: Bool = false
    ) {
        turns.withUnsafeBufferPointer { turns in
            for row in 0..<count {
                let turn = turns.baseAddress! + row &* dimension
                rotate(queries + row &* heads &* dimension, heads: heads, turn: turn, inverse: inverse)
                rotate(keys + row &* kvHeads &* dimension, heads: kvHeads, turn: turn, inverse: inverse)
            }
        }
    }

    /// Turns each head of `vector` by one position's `turn`, or back by it; head by head, so the pairs are read in
    /// order (pair by pair across the heads, eight decoding sequences spent 0.23 ms a step here, with the sines
    /// and cosines worked out per layer; now 0.04 ms).
    private func rotate(_ vector: UnsafeMutablePointer<Float>, heads: Int, turn: UnsafePointer<Float>, inverse: Bool) {
        let direction: Float = inverse ? -1 : 1
        for head in 0..<heads {
            let base = vector + head &* dimension
            for pair in 0..<dimension / 2 {
                let (cosine, sine) = (turn[2 &* pair], direction * turn[2 &* pair &+ 1])
                let (a, b) = (base[2 &* pair], base[2 &* pair &+ 1])
                base[2 &* pair] = a * cosine - b * sine
                base[2 &* pair &+ 1] = a * sine + b * cosine
            }
        }
    }
}
