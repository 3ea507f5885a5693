/// Dot products of quantised rows with float vectors, and row dequantisation, block by block with SIMD.
/// Index arithmetic wraps (`&+`, `&*`): bounds are checked where matrices are built, and checked arithmetic in
/// these loops would stop vectorisation.
enum QuantKernels {
    @inline(__always)
    private static func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// One quantised row · x. `sums` are x's sums per block (see `BlockSums`), which carry each block's offset.
    @inline(__always)
    static func dot<Format: QuantBlockFormat>(
        _: Format.Type, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, blocks: Int
    ) -> Float {
        // Two accumulators, alternating blocks, so consecutive blocks' multiply-adds do not wait on each other.
        var even = SIMD16<Float>(), odd = SIMD16<Float>()
        var scalar: Float = 0
        var block = 0
        while block &+ 2 <= blocks {
            let first = Format.decode(row + block &* Format.bytes)
            let second = Format.decode(row + (block &+ 1) &* Format.bytes)
            let xs = x + block &* 32
            let t0 = (first.low * load16(xs)).addingProduct(first.high, load16(xs + 16))
            let t1 = (second.low * load16(xs + 32)).addingProduct(second.high, load16(xs + 48))
            even = even.addingProduct(t0, SIMD16(repeating: first.scale))
            odd = odd.addingProduct(t1, SIMD16(repeating: second.scale))
            scalar += first.offset * sums[block] + second.offset * sums[block &+ 1]
            block &+= 2
        }
        if block < blocks {
            let last = Format.decode(row + block &* Format.bytes)
            let xs = x + block &* 32
            even = even.addingProduct((last.low * load16(xs)).addingProduct(last.high, load16(xs + 16)), SIMD16(repeating: last.scale))
            scalar += last.offset * sums[block]
        }
        return (even + odd).sum() + scalar
    }

    /// One quantised row · four vectors stored `stride` floats apart (their sums `blocks` apart): each block is
    /// decoded once for all four, which is what makes decoding several sequences together cheaper than apart.
    /// `addingProduct` compiles to fused multiply-adds, which Swift never forms from `+` and `*` by itself.
    @inline(__always)
    static func dot4<Format: QuantBlockFormat>(
        _: Format.Type, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, blocks: Int,
        into output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        let stride = blocks &* 32
        var v0 = SIMD16<Float>(), v1 = SIMD16<Float>(), v2 = SIMD16<Float>(), v3 = SIMD16<Float>()
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var block = 0
        while block < blocks {
            let (low, high, offset) = Format.decodeScaled(row + block &* Format.bytes)
            let xs = x + block &* 32
            v0 = v0.addingProduct(low, load16(xs)).addingProduct(high, load16(xs + 16))
            v1 = v1.addingProduct(low, load16(xs + stride)).addingProduct(high, load16(xs + (stride &+ 16)))
            v2 = v2.addingProduct(low, load16(xs + 2 &* stride)).addingProduct(high, load16(xs + (2 &* stride &+ 16)))
            v3 = v3.addingProduct(low, load16(xs + 3 &* stride)).addingProduct(high, load16(xs + (3 &* stride &+ 16)))
            s0 += offset * sums[block]
            s1 += offset * sums[block &+ blocks]
            s2 += offset * sums[block &+ 2 &* blocks]
            s3 += offset * sums[block &+ 3 &* blocks]
            block &+= 1
        }
        output[0] = v0.sum() + s0
        output[outputStride] = v1.sum() + s1
        output[2 &* outputStride] = v2.sum() + s2
        output[3 &* outputStride] = v3.sum() + s3
    }

    static func dotHalf(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int, brain: Bool) -> Float {
        let halves = row.assumingMemoryBound(to: UInt16.self)
        var sum: Float = 0
        for index in 0..<count {
            sum += (brain ? Half.bfloat(halves[index]) : Half.float(halves[index])) * x[index]
        }
        return sum
    }

    static func dequantizeRow(_ row: UnsafeRawPointer, type: TensorType, count: Int, into output: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            output.update(from: row.assumingMemoryBound(to: Float.self), count: count)
        case .f16, .bf16:
            let halves = row.assumingMemoryBound(to: UInt16.self)
            for index in 0..<count { output[index] = type == .bf16 ? Half.bfloat(halves[index]) : Half.float(halves[index]) }
        case .q4_1:
            dequantize(Q4_1Block.self, row, count: count, into: output)
        case .q4_0:
            dequantize(Q4_0Block.self, row, count: count, into: output)
        case .q8_0:
            dequantize(Q8_0Block.self, row, count: count, into: output)
        }
    }

    private static func dequantize<Format: QuantBlockFormat>(
        _: Format.Type, _ row: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>
    ) {
        for block in 0..<count / 32 {
            let (low, high, offset) = Format.decodeScaled(row + block &* Format.bytes)
            let target = UnsafeMutableRawPointer(output + block &* 32)
            target.storeBytes(of: low + offset, as: SIMD16<Float>.self)
            (target + 64).storeBytes(of: high + offset, as: SIMD16<Float>.self)
        }
    }
}
