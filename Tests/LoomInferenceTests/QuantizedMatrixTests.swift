import LoomInference
import Testing

/// Random quantised matrices, multiplied by the engine's kernels, against the block formats decoded here from
/// their definitions and summed in Double. Covers each path of `Linear`: one vector, two to eight (pairs of rows
/// against four or eight vectors, padded, and an odd last row), and many vectors through sgemm, on one and two
/// threads.
struct QuantizedMatrixTests {
    @Test(arguments: [TensorType.q4_1, .q4_0, .q8_0])
    func everyBatchPathMatchesTheBlockDefinition(_ type: TensorType) {
        var generator = SplitMix64(seed: 42)
        let (rows, columns) = (37, 160)
        let matrix = RandomMatrix(type, rows: rows, columns: columns, generator: &generator)
        for threads in [1, 2] {
            let linear = Linear(pool: ComputePool(threads: threads))
            for count in [1, 2, 3, 4, 5, 6, 8, 12] {
                let x = (0..<count * columns).map { _ in Float.random(in: -2...2, using: &generator) }
                var y = [Float](repeating: .nan, count: count * rows)
                matrix.bytes.withUnsafeBytes { raw in
                    let w = WeightMatrix(pointer: raw.baseAddress!, type: type, rows: rows, columns: columns)
                    linear.apply(w, x, count: count, into: &y)
                }
                var worst = 0.0
                for vector in 0..<count {
                    for r in 0..<rows {
                        let exact = zip(matrix.weights[r], x[vector * columns..<(vector + 1) * columns]).reduce(0) { $0 + $1.0 * Double($1.1) }
                        worst = max(worst, abs(Double(y[vector * rows + r]) - exact))
                    }
                }
                #expect(worst < 1e-4, "\(type), \(count) vectors, \(threads) threads: off by \(worst)")
            }
        }
    }

    @Test func dequantisedRowsAreTheWeights() {
        var generator = SplitMix64(seed: 7)
        for type in [TensorType.q4_1, .q4_0, .q8_0] {
            let matrix = RandomMatrix(type, rows: 3, columns: 64, generator: &generator)
            matrix.bytes.withUnsafeBytes { raw in
                let w = WeightMatrix(pointer: raw.baseAddress!, type: type, rows: 3, columns: 64)
                for r in 0..<3 {
                    let worst = zip(w.rowValues(r), matrix.weights[r]).map { abs(Double($0) - $1) }.max()!
                    #expect(worst < 1e-6, "\(type) row \(r): off by \(worst)")
                }
            }
        }
    }
}
