/// A ggml block format of 32 weights, read as two 16-lane halves of small integers with a scale and an offset
/// shared by the block: weight i = values[i]·scale + offset. Every supported format fits that shape (Q4_1: q·d + m;
/// Q4_0: q·d - 8d; Q8_0: q·d), so one generic kernel, specialised per format, serves them all.
protocol QuantBlockFormat {
    static var bytes: Int { get }
    static func decode(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, scale: Float, offset: Float)
}

extension QuantBlockFormat {
    /// The weights themselves, less the offset: for kernels that use one decoded block more than once.
    @inline(__always)
    static func decodeScaled(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, offset: Float) {
        let (low, high, scale, offset) = decode(block)
        return (low * scale, high * scale, offset)
    }
}

/// Lanes are filled one by one from plain integer loads: LLVM turns these loops into vector widening and
/// conversion instructions, while Swift's `SIMD16<Float>(SIMD16<Int32>)` conversions compile to calls.
enum Q4_1Block: QuantBlockFormat {
    static let bytes = 20

    @inline(__always)
    static func decode(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, scale: Float, offset: Float) {
        let packed = (block + 4).assumingMemoryBound(to: UInt8.self)
        var low = SIMD16<Float>(), high = SIMD16<Float>()
        for i in 0..<16 {
            low[i] = Float(packed[i] & 15)
            high[i] = Float(packed[i] &>> 4)
        }
        return (low, high, Half.float(block.loadUnaligned(as: UInt16.self)), Half.float((block + 2).loadUnaligned(as: UInt16.self)))
    }
}

enum Q4_0Block: QuantBlockFormat {
    static let bytes = 18

    @inline(__always)
    static func decode(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, scale: Float, offset: Float) {
        let packed = (block + 2).assumingMemoryBound(to: UInt8.self)
        var low = SIMD16<Float>(), high = SIMD16<Float>()
        for i in 0..<16 {
            low[i] = Float(packed[i] & 15)
            high[i] = Float(packed[i] &>> 4)
        }
        let d = Half.float(block.loadUnaligned(as: UInt16.self))
        return (low, high, d, -8 * d)
    }
}

enum Q8_0Block: QuantBlockFormat {
    static let bytes = 34

    @inline(__always)
    static func decode(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, scale: Float, offset: Float) {
        let values = (block + 2).assumingMemoryBound(to: Int8.self)
        // Two loops through Int32: the single loop straight from Int8 stays scalar (7× slower).
        var low = SIMD16<Float>()
        for i in 0..<16 { low[i] = Float(Int32(values[i])) }
        var high = SIMD16<Float>()
        for i in 0..<16 { high[i] = Float(Int32(values[i &+ 16])) }
        return (low, high, Half.float(block.loadUnaligned(as: UInt16.self)), 0)
    }
}
