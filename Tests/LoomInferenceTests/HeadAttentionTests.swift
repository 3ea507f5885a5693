import Foundation
@testable import LoomInference
import Testing

/// Decode attention over a half-precision cache, and the cache it reads.
struct HeadAttentionTests {
    /// Head sizes with and without a sixteen-value tail, and the two read row by row (64, 128); lengths below, at
    /// and past the positions the kernels take at a time (two, four, sixteen), odd and even; groups of query heads
    /// whose sums fit in registers together (64 × 1, 3, 4; 128 × 2) and that go head by head (128 × 3, other sizes).
    @Test(arguments: [(16, 1, 1), (24, 3, 3), (64, 4, 3), (64, 75, 3), (64, 17, 1), (64, 75, 4), (40, 130, 2), (128, 33, 2), (128, 33, 3)])
    func aGroupOfHeadsAttendsAsTheDoubleDefinitionSays(dimension: Int, length: Int, heads: Int) {
        var generator = SplitMix64(seed: UInt64(dimension * 1000 + length * 10 + heads))
        let random = { (count: Int) in (0..<count).map { _ in Float.random(in: -2...2, using: &generator) } }
        let queries = random(heads * dimension)
        let keys = random(length * dimension).map(Float16.init), values = random(length * dimension).map(Float16.init)
        let scale = 1 / Float(dimension).squareRoot()
        let expected = (0..<heads).flatMap { head in
            let query = queries[head * dimension..<(head + 1) * dimension].map(Double.init)
            let scores = (0..<length).map { t in (0..<dimension).reduce(0.0) { $0 + query[$1] * Double(keys[t * dimension + $1]) } * Double(scale) }
            let weights = scores.map { Foundation.exp($0 - scores.max()!) }
            return (0..<dimension).map { d in (0..<length).reduce(0.0) { $0 + weights[$1] * Double(values[$1 * dimension + d]) } / weights.reduce(0, +) }
        }

        var output = [Float](repeating: .nan, count: heads * dimension)
        var scratch = [Float](repeating: 0, count: heads * length)
        queries.withUnsafeBufferPointer { queries in
            keys.withUnsafeBufferPointer { keys in
                values.withUnsafeBufferPointer { values in
                    HeadAttention.attend(
                        queries: queries.baseAddress!, heads: heads, keys: keys.baseAddress!, values: values.baseAddress!, length: length,
                        dimension: dimension, scale: scale, scores: &scratch, into: &output)
                }
            }
        }
        let worst = zip(output, expected).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-5, "dimension \(dimension), \(length) positions, \(heads) heads: off by \(worst)")
    }

    /// Past its first capacity (256 positions) the cache moves every head's positions; each must still read back
    /// as stored.
    @Test func aCacheThatGrowsKeepsEveryHeadsPositions() {
        let (layers, heads, dimension, positions) = (2, 3, 16, 600)
        let cache = KVCache(layers: layers, heads: heads, dimension: dimension)
        // Whole numbers below 1024, exact in half precision, that differ between neighbouring heads, positions,
        // layers, and keys and values.
        let value = { (layer: Int, position: Int, index: Int, key: Bool) in Float((position * 7 + index * 3 + layer * 11 + (key ? 0 : 1)) % 1024) }
        for position in 0..<positions {
            cache.reserve(position + 1)
            for layer in 0..<layers {
                let k = (0..<heads * dimension).map { value(layer, position, $0, true) }
                let v = (0..<heads * dimension).map { value(layer, position, $0, false) }
                cache.store(layer: layer, position: position, keys: k, values: v)
            }
        }
        #expect(cache.capacity >= positions)
        var mismatches = 0
        for layer in 0..<layers {
            for head in 0..<heads {
                let (keys, values) = (cache.keys(layer: layer, head: head), cache.values(layer: layer, head: head))
                for position in 0..<positions {
                    for d in 0..<dimension {
                        let index = head * dimension + d
                        if Float(keys[position * dimension + d]) != value(layer, position, index, true) { mismatches += 1 }
                        if Float(values[position * dimension + d]) != value(layer, position, index, false) { mismatches += 1 }
                    }
                }
            }
        }
        #expect(mismatches == 0)
    }
}
