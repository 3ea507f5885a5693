import LoomInference
import Testing

/// Random quantised matrices, multiplied by the engine's kernels, against the block formats decoded here from
/// their definitions and summed in Double. Covers each path of `Linear`: one vector, a few vectors (four at a
/// time plus the rest), and many vectors through sgemm, on one and two threads.
struct QuantizedMatrixTests {
    /// A random matrix in one ggml block format, with the weights it stands for.
    struct RandomMatrix {
        let bytes: [UInt8]
        let weights: [[Double]]

        init(_ type: TensorType, rows: Int, columns: Int, generator: inout some RandomNumberGenerator) {
            var bytes: [UInt8] = []
            var weights: [[Double]] = []
            for _ in 0..<rows {
                var row: [Double] = []
                for _ in 0..<columns / 32 {
                    let d = Float16(Float.random(in: 0.001...0.05, using: &generator))
                    bytes += Self.littleEndian(d.bitPattern)
                    switch type {
                    case .q4_1:
                        let m = Float16(Float.random(in: -0.3...0.1, using: &generator))
                        bytes += Self.littleEndian(m.bitPattern)
                        let packed = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
                        bytes += packed
                        row += packed.map { Double($0 & 15) * Double(d) + Double(m) }
                        row += packed.map { Double($0 >> 4) * Double(d) + Double(m) }
                    case .q4_0:
                        let packed = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
                        bytes += packed
                        row += packed.map { (Double($0 & 15) - 8) * Double(d) }
                        row += packed.map { (Double($0 >> 4) - 8) * Double(d) }
                    case .q8_0:
                        let values = (0..<32).map { _ in Int8.random(in: -127...127, using: &generator) }
                        bytes += values.map { UInt8(bitPattern: $0) }
                        row += values.map { Double($0) * Double(d) }
                    case .f32, .f16, .bf16:
                        preconditionFailure("not a block format")
                    }
                }
                weights.append(row)
            }
            #expect(bytes.count == rows * type.bytes(for: columns))
            self.bytes = bytes
            self.weights = weights
        }

        static func littleEndian(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    }

    @Test(arguments: [TensorType.q4_1, .q4_0, .q8_0])
    func everyBatchPathMatchesTheBlockDefinition(_ type: TensorType) {
        var generator = SplitMix64(seed: 42)
        let (rows, columns) = (37, 160)
        let matrix = RandomMatrix(type, rows: rows, columns: columns, generator: &generator)
        for threads in [1, 2] {
            let linear = Linear(pool: ComputePool(threads: threads))
            for count in [1, 3, 4, 5, 8, 12] {
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
