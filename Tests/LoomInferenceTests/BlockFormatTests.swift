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

#if LOOM_VNNI
/// The 8-bit kernels (`InterleavedBlocks`) against the weights decoded from each format's definition. The vectors'
/// two 8-bit parts carry each value to within 1/65024 of its block's largest magnitude, which bounds the error.
struct InterleavedBlocksTests {
    @Test(arguments: [TensorType.q4_1, .q8_0])
    func interleavedRowsMultiplyLikeTheDefinition(_ type: TensorType) throws {
        var generator = SplitMix64(seed: 31)
        let (rows, columns) = (48, 96)
        let matrix = RandomMatrix(type, rows: rows, columns: columns, generator: &generator)
        // One block of each vector has a value 100 times its others: the parts scale per block.
        var all = (0..<8 * columns).map { _ in Float.random(in: -2...2, using: &generator) }
        for vector in 0..<8 { all[vector * columns + columns - 5] = 200 }
        var alone: [[Float]] = []
        // Two threads prepare the vectors, as in decoding.
        let pool = ComputePool(threads: 2)
        for count in [1, 3, 8] {
            let x = Array(all.prefix(count * columns))
            let batch = BlockBatch()
            x.withUnsafeBufferPointer { batch.load($0.baseAddress!, count: count, columns: columns, pool: pool) }
            var y = [Float](repeating: .nan, count: count * rows)
            try matrix.bytes.withUnsafeBytes { raw in
                let w = WeightMatrix(pointer: raw.baseAddress!, type: type, rows: rows, columns: columns).decodingCopy()
                let interleaved = try #require(w.interleaved)
                y.withUnsafeMutableBufferPointer { interleaved.multiply(batch, into: $0.baseAddress!, outputStride: rows, groups: 0..<rows / 16) }
            }
            for vector in 0..<count {
                let values = x[vector * columns..<(vector + 1) * columns]
                for r in 0..<rows {
                    let weights = matrix.weights[r]
                    let exact = zip(weights, values).reduce(0) { $0 + $1.0 * Double($1.1) }
                    // |w| · (block's largest |x|) / 65024 per value, and a little for Float sums.
                    let bound = stride(from: 0, to: columns, by: 32).reduce(1e-5) { total, start in
                        let largest = values.dropFirst(start).prefix(32).map { Double(abs($0)) }.max()!
                        return total + weights[start..<start + 32].reduce(0) { $0 + abs($1) } * largest / 65024
                    }
                    let error = abs(Double(y[vector * rows + r]) - exact)
                    #expect(error <= bound, "\(type), vector \(vector) of \(count), row \(r): off by \(error), bound \(bound)")
                }
            }
            alone.append(Array(y[0..<rows]))
        }
        // The first vector's products do not depend on the vectors beside it.
        #expect(alone.allSatisfy { $0 == alone[0] })
    }

    /// A diverged model's NaN or infinity must not trap converting to integers: its vector's products are NaN, as
    /// Float products would be, and the other vectors' are untouched.
    @Test(arguments: [Float.nan, .infinity])
    func aValueThatIsNotFiniteGivesNaNForItsVectorOnly(_ bad: Float) throws {
        var generator = SplitMix64(seed: 37)
        let (rows, columns) = (16, 64)
        let matrix = RandomMatrix(.q4_1, rows: rows, columns: columns, generator: &generator)
        var x = (0..<2 * columns).map { _ in Float.random(in: -2...2, using: &generator) }
        x[columns + 40] = bad
        let batch = BlockBatch()
        x.withUnsafeBufferPointer { batch.load($0.baseAddress!, count: 2, columns: columns) }
        var y = [Float](repeating: 0, count: 2 * rows)
        try matrix.bytes.withUnsafeBytes { raw in
            let interleaved = try #require(WeightMatrix(pointer: raw.baseAddress!, type: .q4_1, rows: rows, columns: columns).decodingCopy().interleaved)
            y.withUnsafeMutableBufferPointer { interleaved.multiply(batch, into: $0.baseAddress!, outputStride: rows, groups: 0..<1) }
        }
        #expect(y[rows...].allSatisfy { $0.isNaN })
        #expect(y[..<rows].allSatisfy { $0.isFinite })
        #expect(QuantizedMatrixTests.worstError(Array(y[..<rows]), matrix, Array(x[..<columns]), count: 1) < 1e-3)
    }
}
#endif
