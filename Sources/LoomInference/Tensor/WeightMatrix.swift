/// A row-major weight matrix read in place from a model file, in any supported element type. Quantised blocks
/// are never expanded for the whole matrix: rows are multiplied block by block, or dequantised a tile at a time.
public struct WeightMatrix: @unchecked Sendable {
    // Points into an immutable mapping (or storage the owner keeps alive); shared read-only between threads.
    public let pointer: UnsafeRawPointer
    public let type: TensorType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    #if LOOM_VNNI
    /// The blocks again, arranged for 8-bit dot products (see `decodingCopy`).
    private(set) var interleaved: InterleavedBlocks?
    #endif

    public init(pointer: UnsafeRawPointer, type: TensorType, rows: Int, columns: Int) {
        precondition(columns % type.block.values == 0, "columns must be whole blocks")
        self.pointer = pointer
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = type.bytes(for: columns)
    }

    /// This matrix, readied for multiplying a few vectors at a time (decoding): where the build has 8-bit dot
    /// products and the type and rows allow, its blocks are also copied into `InterleavedBlocks`, which the block
    /// kernels then read. Costs a second copy of the quantised weights in memory; elsewhere it is the same matrix.
    public func decodingCopy() -> WeightMatrix {
        var copy = self
        #if LOOM_VNNI
        copy.interleaved = InterleavedBlocks(self)
        #endif
        return copy
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

    /// `output[v·outputStride + r] = row r · x[v]` for `rows` and the batch's vectors.
    func multiply(_ batch: BlockBatch, into output: UnsafeMutablePointer<Float>, outputStride: Int, rows range: Range<Int>) {
        #if LOOM_VNNI
        if let interleaved {
            precondition(range.lowerBound % 16 == 0 && range.upperBound % 16 == 0, "interleaved rows go in groups of 16")
            interleaved.multiply(batch, into: output, outputStride: outputStride, groups: range.lowerBound / 16..<range.upperBound / 16)
            return
        }
        #endif
        switch type {
        case .q4_1:
            #if LOOM_NIBBLE_TABLES
            multiplyBlocks(Tabulated<Q4_1Block>(), batch, into: output, outputStride: outputStride, rows: range)
            #else
            multiplyBlocks(Q4_1Block(), batch, into: output, outputStride: outputStride, rows: range)
            #endif
        case .q4_0:
            #if LOOM_NIBBLE_TABLES
            multiplyBlocks(Tabulated<Q4_0Block>(), batch, into: output, outputStride: outputStride, rows: range)
            #else
            multiplyBlocks(Q4_0Block(), batch, into: output, outputStride: outputStride, rows: range)
            #endif
        case .q8_0:
            multiplyBlocks(Q8_0Block(), batch, into: output, outputStride: outputStride, rows: range)
        case .f32, .f16, .bf16:
            for vector in 0..<batch.count {
                let xs = batch.x + vector &* columns
                let target = output + vector &* outputStride
                for r in range {
                    target[r] = type == .f32
                        ? VectorKernels.dot(row(r).assumingMemoryBound(to: Float.self), xs, count: columns)
                        : QuantKernels.dotHalf(row(r), xs, count: columns, brain: type == .bf16)
                }
            }
        }
    }

    /// One vector goes row by row; more go two rows at a time against four or eight vectors (the batch's padding),
    /// so each pair of rows is read from memory once for all of them. An odd last row goes vector by vector.
    /// Internal, not private, so that tests can run it with either reading of a 4-bit format.
    func multiplyBlocks<Format: QuantBlockFormat>(
        _ format: Format, _ batch: BlockBatch, into output: UnsafeMutablePointer<Float>, outputStride: Int, rows range: Range<Int>
    ) {
        let blocks = columns / 32
        let (x, sums, count, lanes) = (UnsafePointer(batch.x), UnsafePointer(batch.sums), batch.count, batch.lanes)
        guard count > 1 else {
            for r in range { output[r] = QuantKernels.dot(format, row(r), x, sums, sumsStride: 1, blocks: blocks) }
            return
        }
        var r = range.lowerBound
        while r &+ 2 <= range.upperBound {
            if lanes == 8 {
                QuantKernels.dotPair(
                    format, row(r), rowBytes: rowBytes, x, sums, blocks: blocks, vectors: 8, count: count, into: output + r, outputStride: outputStride)
            } else {
                QuantKernels.dotPair(
                    format, row(r), rowBytes: rowBytes, x, sums, blocks: blocks, vectors: 4, count: count, into: output + r, outputStride: outputStride)
            }
            r &+= 2
        }
        if r < range.upperBound {
            for vector in 0..<count {
                output[vector &* outputStride &+ r] = QuantKernels.dot(format, row(r), x + vector &* columns, sums + vector, sumsStride: lanes, blocks: blocks)
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
