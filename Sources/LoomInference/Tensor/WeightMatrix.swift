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

    /// `output[r] = row r · x` for `rows`. `blockSums` are x's sums per 32 values (see `BlockSums`), which the
    /// Q4 formats need.
    func multiply(_ x: UnsafePointer<Float>, blockSums: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
        switch type {
        case .q4_1:
            for r in range { output[r] = QuantKernels.dotQ4_1(row(r), x, blockSums, blocks: columns / 32) }
        case .q4_0:
            for r in range { output[r] = QuantKernels.dotQ4_0(row(r), x, blockSums, blocks: columns / 32) }
        case .q8_0:
            for r in range { output[r] = QuantKernels.dotQ8_0(row(r), x, blocks: columns / 32) }
        case .f32:
            for r in range { output[r] = QuantKernels.dotF32(row(r).assumingMemoryBound(to: Float.self), x, count: columns) }
        case .f16, .bf16:
            for r in range { output[r] = QuantKernels.dotHalf(row(r), x, count: columns, brain: type == .bf16) }
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
