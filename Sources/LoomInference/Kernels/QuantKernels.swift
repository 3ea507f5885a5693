/// Dot products of one quantised row with a float vector, and row dequantisation, block by block with SIMD.
/// Index arithmetic wraps (`&+`, `&*`): bounds are checked where matrices are built, and checked arithmetic in
/// these loops would stop vectorisation.
enum QuantKernels {
    @inline(__always)
    private static func half(_ pointer: UnsafeRawPointer) -> Float {
        Half.float(pointer.loadUnaligned(as: UInt16.self))
    }

    @inline(__always)
    private static func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func nibbles(_ pointer: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>) {
        let packed = pointer.loadUnaligned(as: SIMD16<UInt8>.self)
        let low = SIMD16<Int32>(truncatingIfNeeded: packed & 0x0F)
        let high = SIMD16<Int32>(truncatingIfNeeded: packed &>> 4)
        return (SIMD16<Float>(low), SIMD16<Float>(high))
    }

    /// Q4_1 block: half d, half m, 16 bytes of nibbles (low nibbles are weights 0-15, high 16-31); w = q·d + m.
    /// Σ w·x = d·Σ q·x + m·Σ x, and Σ x per block comes precomputed.
    static func dotQ4_1(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, blocks: Int) -> Float {
        var vector = SIMD16<Float>(repeating: 0)
        var scalar: Float = 0
        var block = 0
        while block < blocks {
            let base = row + block &* 20
            let d = half(base)
            let m = half(base + 2)
            let (low, high) = nibbles(base + 4)
            let xs = x + block &* 32
            let partial = low * load16(xs) + high * load16(xs + 16)
            vector += partial * d
            scalar += m * sums[block]
            block &+= 1
        }
        return vector.sum() + scalar
    }

    /// Q4_0 block: half d, 16 bytes of nibbles; w = (q - 8)·d.
    static func dotQ4_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, blocks: Int) -> Float {
        var vector = SIMD16<Float>(repeating: 0)
        var scalar: Float = 0
        var block = 0
        while block < blocks {
            let base = row + block &* 18
            let d = half(base)
            let (low, high) = nibbles(base + 2)
            let xs = x + block &* 32
            vector += (low * load16(xs) + high * load16(xs + 16)) * d
            scalar -= 8 * d * sums[block]
            block &+= 1
        }
        return vector.sum() + scalar
    }

    /// Q8_0 block: half d, 32 signed bytes; w = q·d.
    static func dotQ8_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
        var vector = SIMD16<Float>(repeating: 0)
        var block = 0
        while block < blocks {
            let base = row + block &* 34
            let d = half(base)
            let q0 = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: (base + 2).loadUnaligned(as: SIMD16<Int8>.self)))
            let q1 = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: (base + 18).loadUnaligned(as: SIMD16<Int8>.self)))
            let xs = x + block &* 32
            vector += (q0 * load16(xs) + q1 * load16(xs + 16)) * d
            block &+= 1
        }
        return vector.sum()
    }

    static func dotF32(_ row: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var vector = SIMD16<Float>(repeating: 0)
        var index = 0
        while index &+ 16 <= count {
            vector += load16(row + index) * load16(x + index)
            index &+= 16
        }
        var tail: Float = 0
        while index < count {
            tail += row[index] * x[index]
            index &+= 1
        }
        return vector.sum() + tail
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
            for block in 0..<count / 32 {
                let base = row + block &* 20
                let d = half(base)
                let m = half(base + 2)
                let (low, high) = nibbles(base + 4)
                let target = UnsafeMutableRawPointer(output + block &* 32)
                target.storeBytes(of: low * d + m, as: SIMD16<Float>.self)
                (target + 64).storeBytes(of: high * d + m, as: SIMD16<Float>.self)
            }
        case .q4_0:
            for block in 0..<count / 32 {
                let base = row + block &* 18
                let d = half(base)
                let (low, high) = nibbles(base + 2)
                let target = UnsafeMutableRawPointer(output + block &* 32)
                target.storeBytes(of: (low - 8) * d, as: SIMD16<Float>.self)
                (target + 64).storeBytes(of: (high - 8) * d, as: SIMD16<Float>.self)
            }
        case .q8_0:
            for block in 0..<count / 32 {
                let base = row + block &* 34
                let d = half(base)
                let q0 = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: (base + 2).loadUnaligned(as: SIMD16<Int8>.self)))
                let q1 = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: (base + 18).loadUnaligned(as: SIMD16<Int8>.self)))
                let target = UnsafeMutableRawPointer(output + block &* 32)
                target.storeBytes(of: q0 * d, as: SIMD16<Float>.self)
                (target + 64).storeBytes(of: q1 * d, as: SIMD16<Float>.self)
            }
        }
    }
}
