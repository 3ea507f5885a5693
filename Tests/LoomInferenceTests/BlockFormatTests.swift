@testable import LoomInference
import Testing

/// The two readings of a 4-bit block: values with a scale and an offset (every CPU), and the weights looked up in
/// a table (`Tabulated`, CPUs with AVX-512). `Linear` uses only one of them on a given build, so each is run here
/// through the block kernels directly, against the weights decoded from the format's definition.
struct BlockFormatTests {
    @Test(arguments: [TensorType.q4_1, .q4_0])
    func eachReadingOfA4BitBlockMultipliesLikeTheDefinition(_ type: TensorType) {
        var generator = SplitMix64(seed: 23)
        // Five rows: pairs of rows and an odd last one; three blocks: pairs of blocks and an odd last one.
        let (rows, columns) = (5, 96)
        let matrix = RandomMatrix(type, rows: rows, columns: columns, generator: &generator)
        for count in [1, 3, 8] {
            let x = (0..<count * columns).map { _ in Float.random(in: -2...2, using: &generator) }
            let batch = BlockBatch()
            x.withUnsafeBufferPointer { batch.load($0.baseAddress!, count: count, columns: columns) }
            for (reading, y) in Self.readings(type, matrix, batch, rows: rows, columns: columns) {
                let worst = QuantizedMatrixTests.worstError(y, matrix, x, count: count)
                #expect(worst < 1e-4, "\(type) read as \(reading), \(count) vectors: off by \(worst)")
            }
        }
    }

    /// The products by each reading this build has, by name.
    static func readings(_ type: TensorType, _ matrix: RandomMatrix, _ batch: BlockBatch, rows: Int, columns: Int) -> [(String, [Float])] {
        matrix.bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(pointer: raw.baseAddress!, type: type, rows: rows, columns: columns)
            func product(_ format: some QuantBlockFormat) -> [Float] {
                var y = [Float](repeating: .nan, count: batch.count * rows)
                y.withUnsafeMutableBufferPointer { w.multiplyBlocks(format, batch, into: $0.baseAddress!, outputStride: rows, rows: 0..<rows) }
                return y
            }
            var products = [("values", type == .q4_1 ? product(Q4_1Block()) : product(Q4_0Block()))]
            #if LOOM_NIBBLE_TABLES
            products.append(("table", type == .q4_1 ? product(Tabulated<Q4_1Block>()) : product(Tabulated<Q4_0Block>())))
            #endif
            return products
        }
    }
}
