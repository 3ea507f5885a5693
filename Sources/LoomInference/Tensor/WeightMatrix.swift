/// A row-major weight matrix read in place from a model file, in any supported element type. Quantised blocks
/// are never expanded for the whole matrix: rows are multiplied block by block, or dequantised a tile at a time.
public struct WeightMatrix: @unchecked Sendable {
    // Points into an immutable mapping (or storage the owner keeps alive); shared read-only between threads.
    public let pointer: UnsafeRawPointer
    public let type: TensorType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int

    public init(pointer: UnsafeRawPointer, type: TensorType, rows: Int, columns: Int) {
        precondition(columns % type.block.values == 0, "columns must be whole blocks")
        self.pointer = pointer
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = type.bytes(for: columns)
    }

    @inline(__always)
    func row(_ index: Int) -> UnsafeRawPointer { pointer + index &* rowBytes }

    /// Whether rows are stored in quantised blocks, whose decoding several vectors can share.
    var isQuantized: Bool {
        switch type {
        case .q4_0, .q4_1, .q8_0: return true
        case .f32, .f16, .bf16: return false
        }
    }

    /// `output[v·outputStride + r] = row r · x[v]` for `rows` and `count` vectors stored `columns` apart.
    /// `blockSums` are each vector's sums per 32 values (see `BlockSums`), `columns / 32` apart.
    func multiply(
        _ x: UnsafePointer<Float>, count: Int, blockSums: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        outputStride: Int, rows range: Range<Int>
    ) {
        switch type {
        case .q4_1:
            multiplyBlocks(Q4_1Block.self, x, count: count, blockSums: blockSums, into: output, outputStride: outputStride, rows: range)
        case .q4_0:
            multiplyBlocks(Q4_0Block.self, x, count: count, blockSums: blockSums, into: output, outputStride: outputStride, rows: range)
        case .q8_0:
            multiplyBlocks(Q8_0Block.self, x, count: count, blockSums: blockSums, into: output, outputStride: outputStride, rows: range)
        case .f32, .f16, .bf16:
            for vector in 0..<count {
                let xs = x + vector &* columns
                let target = output + vector &* outputStride
                for r in range {
                    target[r] = type == .f32
                        ? VectorKernels.dot(row(r).assumingMemoryBound(to: Float.self), xs, count: columns)
                        : QuantKernels.dotHalf(row(r), xs, count: columns, brain: type == .bf16)
                }
            }
        }
    }

    private func multiplyBlocks<Format: QuantBlockFormat>(
        _ format: Format.Type, _ x: UnsafePointer<Float>, count: Int, blockSums: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, outputStride: Int, rows range: Range<Int>
    ) {
        let blocks = columns / 32
        for r in range {
            var vector = 0
            while vector &+ 4 <= count {
                QuantKernels.dot4(
                    format, row(r), x + vector &* columns, blockSums + vector &* blocks, blocks: blocks,
                    into: output + (vector &* outputStride &+ r), outputStride: outputStride)
                vector &+= 4
            }
            while vector < count {
                output[vector &* outputStride &+ r] = QuantKernels.dot(
                    format, row(r), x + vector &* columns, blockSums + vector &* blocks, blocks: blocks)
                vector &+= 1
            }
        }
    }

    /// Writes rows `range` as floats, row-major, `columns` per row.
    func dequantize(rows range: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        var target = output
        for r in range {
            QuantKernels.dequantizeRow(row(r), type: type, count: columns, into: target)
            target += columns
        }
    }

    /// One row as floats (embedding lookups).
    public func rowValues(_ index: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: columns) { buffer, count in
            QuantKernels.dequantizeRow(row(index), type: type, count: columns, into: buffer.baseAddress!)
            count = columns
        }
    }
}

/// Sums of x over each 32-value block, computed once per vector and shared by every row of a Q4 matrix.
enum BlockSums {
    static func compute(_ x: UnsafePointer<Float>, count: Int, into sums: UnsafeMutablePointer<Float>) {
        var block = 0
        while block &* 32 < count {
            let base = x + block &* 32
            var acc = SIMD8<Float>(repeating: 0)
            for lane in stride(from: 0, to: 32, by: 8) {
                acc += UnsafeRawPointer(base + lane).loadUnaligned(as: SIMD8<Float>.self)
            }
            sums[block] = acc.sum()
            block &+= 1
        }
    }
}
