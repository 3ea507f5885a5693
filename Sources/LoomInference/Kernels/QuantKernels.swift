/// Dot products of quantised rows with float vectors, and row dequantisation, block by block with SIMD.
/// Index arithmetic wraps (`&+`, `&*`): bounds are checked where matrices are built, and checked arithmetic in
/// these loops would stop vectorisation.
enum QuantKernels {
    @inline(__always)
    private static func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// One quantised row · x. `sums` are x's sums per block, `sumsStride` apart (see `BlockBatch`), which carry
    /// each block's offset (not read for a tabulated format, whose weights include it).
    @inline(__always)
    static func dot<Format: QuantBlockFormat>(
        _ format: Format, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, sumsStride: Int, blocks: Int
    ) -> Float {
        // Two accumulators, alternating blocks, so consecutive blocks' multiply-adds do not wait on each other.
        var even = SIMD16<Float>(), odd = SIMD16<Float>()
        var scalar: Float = 0
        var block = 0
        while block &+ 2 <= blocks {
            let xs = x + block &* 32
            add(format, row + block &* Format.bytes, xs, sums + block &* sumsStride, to: &even, &scalar)
            add(format, row + (block &+ 1) &* Format.bytes, xs + 32, sums + (block &+ 1) &* sumsStride, to: &odd, &scalar)
            block &+= 2
        }
        if block < blocks {
            add(format, row + block &* Format.bytes, x + block &* 32, sums + block &* sumsStride, to: &even, &scalar)
        }
        return (even + odd).laneSum + scalar
    }

    /// One block · its 32 values of x, into `lanes`, and its offset · the values' sum into `scalar`.
    @inline(__always)
    private static func add<Format: QuantBlockFormat>(
        _ format: Format, _ block: UnsafeRawPointer, _ xs: UnsafePointer<Float>, _ sum: UnsafePointer<Float>,
        to lanes: inout SIMD16<Float>, _ scalar: inout Float
    ) {
        let decoded = format.decode(block)
        if Format.tabulated {
            lanes = lanes.addingProduct(decoded.low, load16(xs)).addingProduct(decoded.high, load16(xs + 16))
        } else {
            let products = (decoded.low * load16(xs)).addingProduct(decoded.high, load16(xs + 16))
            lanes = lanes.addingProduct(products, SIMD16(repeating: decoded.scale))
            scalar += decoded.offset * sum.pointee
        }
    }

    /// Two quantised rows, `rowBytes` apart, · `vectors` (4 or 8, a constant where this is inlined) vectors
    /// `blocks · 32` floats apart; results for the first `count` go to `output[v · outputStride]` and the next
    /// row's. Each block is decoded once for all the vectors, and each vector's load serves both rows: loads from
    /// the first cache level, not arithmetic, are what limit one row against many vectors.
    /// `sums` are block by block, `vectors` apart. `addingProduct` compiles to fused multiply-adds, which Swift never
    /// forms from `+` and `*` by itself.
    @inline(__always)
    static func dotPair<Format: QuantBlockFormat>(
        _ format: Format, _ row: UnsafeRawPointer, rowBytes: Int, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, blocks: Int,
        vectors: Int, count: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        let stride = blocks &* 32
        var first = InlineArray<8, SIMD16<Float>>(repeating: .zero), second = InlineArray<8, SIMD16<Float>>(repeating: .zero)
        var firstOffsets = SIMD8<Float>(), secondOffsets = SIMD8<Float>()
        var block = 0
        while block < blocks {
            let a = format.decodeScaled(row + block &* Format.bytes)
            let b = format.decodeScaled(row + (rowBytes &+ block &* Format.bytes))
            let xs = x + block &* 32
            for v in 0..<vectors {
                let low = load16(xs + v &* stride), high = load16(xs + (v &* stride &+ 16))
                first[v] = first[v].addingProduct(a.low, low).addingProduct(a.high, high)
                second[v] = second[v].addingProduct(b.low, low).addingProduct(b.high, high)
            }
            if !Format.tabulated {
                let blockSums = vectors == 8
                    ? UnsafeRawPointer(sums + block &* 8).loadUnaligned(as: SIMD8<Float>.self)
                    : SIMD8(lowHalf: UnsafeRawPointer(sums + block &* 4).loadUnaligned(as: SIMD4<Float>.self), highHalf: .zero)
                firstOffsets = firstOffsets.addingProduct(SIMD8(repeating: a.offset), blockSums)
                secondOffsets = secondOffsets.addingProduct(SIMD8(repeating: b.offset), blockSums)
            }
            block &+= 1
        }
        let firstTotals = SIMD8(lowHalf: sum4(first[0], first[1], first[2], first[3]), highHalf: sum4(first[4], first[5], first[6], first[7])) + firstOffsets
        let secondTotals = SIMD8(lowHalf: sum4(second[0], second[1], second[2], second[3]), highHalf: sum4(second[4], second[5], second[6], second[7])) + secondOffsets
        for v in 0..<count {
            output[v &* outputStride] = firstTotals[v]
            output[v &* outputStride &+ 1] = secondTotals[v]
        }
    }

    /// Four vectors' lane sums as one SIMD4, halving them together: a tree of adds and shuffles instead of the
    /// fifteen adds in a row that `sum()` does for each.
    @inline(__always)
    static func sum4(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ c: SIMD16<Float>, _ d: SIMD16<Float>) -> SIMD4<Float> {
        let ab = SIMD16(lowHalf: a.lowHalf + a.highHalf, highHalf: b.lowHalf + b.highHalf)
        let cd = SIMD16(lowHalf: c.lowHalf + c.highHalf, highHalf: d.lowHalf + d.highHalf)
        let abcd = SIMD16(lowHalf: ab.evenHalf + ab.oddHalf, highHalf: cd.evenHalf + cd.oddHalf)
        let pairs = abcd.evenHalf + abcd.oddHalf
        return pairs.evenHalf + pairs.oddHalf
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
            dequantize(Q4_1Block(), row, count: count, into: output)
        case .q4_0:
            dequantize(Q4_0Block(), row, count: count, into: output)
        case .q8_0:
            dequantize(Q8_0Block(), row, count: count, into: output)
        }
    }

    private static func dequantize<Format: QuantBlockFormat>(
        _ format: Format, _ row: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>
    ) {
        for block in 0..<count / 32 {
            let (low, high, offset) = format.decodeScaled(row + block &* Format.bytes)
            let target = UnsafeMutableRawPointer(output + block &* 32)
            target.storeBytes(of: low + offset, as: SIMD16<Float>.self)
            (target + 64).storeBytes(of: high + offset, as: SIMD16<Float>.self)
        }
    }
}
