import LoomInference
import Synchronization
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
                let worst = Self.worstError(y, matrix, x, count: count)
                #expect(worst < 1e-4, "\(type), \(count) vectors, \(threads) threads: off by \(worst)")
            }
        }
    }

    /// A layer's query, key and value (or gate and up) multiplied in one job of the pool: each output as if alone.
    @Test func matricesSharingAnInputMatchTheBlockDefinition() {
        var generator = SplitMix64(seed: 11)
        let columns = 96
        let matrices = [37, 20, 64].map { RandomMatrix(.q4_1, rows: $0, columns: columns, generator: &generator) }
        for threads in [1, 2] {
            let linear = Linear(pool: ComputePool(threads: threads))
            for count in [1, 3, 8, 12] {
                let x = (0..<count * columns).map { _ in Float.random(in: -2...2, using: &generator) }
                let weights = matrices.map { matrix in
                    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: matrix.bytes.count, alignment: 64)
                    raw.copyBytes(from: matrix.bytes)
                    return raw
                }
                let targets = matrices.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: count * $0.weights.count) }
                defer {
                    for raw in weights { raw.deallocate() }
                    for target in targets { target.deallocate() }
                }
                for target in targets { target.initialize(repeating: .nan) }
                let products = matrices.indices.map { index in
                    (WeightMatrix(pointer: UnsafeRawPointer(weights[index].baseAddress!), type: .q4_1, rows: matrices[index].weights.count, columns: columns),
                     targets[index].baseAddress!)
                }
                linear.apply(products, x, count: count)
                let outputs = targets.map(Array.init)
                for (matrix, y) in zip(matrices, outputs) {
                    let worst = Self.worstError(y, matrix, x, count: count)
                    #expect(worst < 1e-4, "\(matrix.weights.count) rows, \(count) vectors, \(threads) threads: off by \(worst)")
                }
            }
        }
    }

    @Test func chunksCoverEveryIndexOnce() {
        let pool = ComputePool(threads: 2)
        for (count, chunk) in [(37, 4), (5, 16), (64, 1), (0, 8)] {
            let visits = Mutex([Int](repeating: 0, count: count))
            pool.forEachChunk(count, chunk: chunk) { range in
                visits.withLock { for index in range { $0[index] += 1 } }
            }
            #expect(visits.withLock { $0 } == [Int](repeating: 1, count: count), "\(count) in chunks of \(chunk)")
        }
    }

    /// The largest difference between `y` (count × rows) and the products of the matrix's weights with `x`, summed
    /// in Double.
    static func worstError(_ y: [Float], _ matrix: RandomMatrix, _ x: [Float], count: Int) -> Double {
        let (rows, columns) = (matrix.weights.count, matrix.weights[0].count)
        var worst = 0.0
        for vector in 0..<count {
            for r in 0..<rows {
                let exact = zip(matrix.weights[r], x[vector * columns..<(vector + 1) * columns]).reduce(0) { $0 + $1.0 * Double($1.1) }
                let error = abs(Double(y[vector * rows + r]) - exact)
                // `max` would pass over a NaN: an output never written must fail.
                worst = error.isNaN ? .infinity : max(worst, error)
            }
        }
        return worst
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
