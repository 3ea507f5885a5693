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

    func rotate(_ vector: UnsafeMutablePointer<Float>, heads: Int, position: Int, inverse: Bool = false) {
        let p = inverse ? -Float(position) : Float(position)
        for (pair, frequency) in inverseFrequencies.enumerated() {
            let angle = p * frequency
            let cosine = cosf(angle)
            let sine = sinf(angle)
            for head in 0..<heads {
                let base = vector + (head &* dimension &+ 2 &* pair)
                let a = base[0]
                let b = base[1]
                base[0] = a * cosine - b * sine
                base[1] = a * sine + b * cosine
            }
        }
    }
}
