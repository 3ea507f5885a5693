/// A ggml block format of 32 weights, read as two 16-lane halves of small integers with a scale and an offset
/// shared by the block: weight i = values[i]·scale + offset. Every supported format fits that shape (Q4_1: q·d + m;
/// Q4_0: q·d - 8d; Q8_0: q·d), so one generic kernel, specialised per format, serves them all.
protocol QuantBlockFormat {
    static var bytes: Int { get }
    func decode(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, scale: Float, offset: Float)
    /// Whether `decode` gives the weights themselves (`Tabulated`), with scale 1 and offset 0: kernels skip both.
    static var tabulated: Bool { get }
}

extension QuantBlockFormat {
    static var tabulated: Bool { false }

    /// The weights themselves, less the offset: for kernels that use one decoded block more than once.
    @inline(__always)
    func decodeScaled(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, offset: Float) {
        let (low, high, scale, offset) = decode(block)
        return Self.tabulated ? (low, high, 0) : (low * scale, high * scale, offset)
    }
}

/// A 4-bit format: 16 bytes of packed values (low nibbles first, then high) at `packedOffset`.
protocol NibbleBlockFormat: QuantBlockFormat {
    static var packedOffset: Int { get }
    static func scaleAndOffset(_ block: UnsafeRawPointer) -> (scale: Float, offset: Float)
}

extension NibbleBlockFormat {
    /// Lanes are filled one by one from plain integer loads: LLVM turns these loops into vector widening and
    /// conversion instructions, while Swift's `SIMD16<Float>(SIMD16<Int32>)` conversions compile to calls.
    @inline(__always)
    func decode(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, scale: Float, offset: Float) {
        let packed = (block + Self.packedOffset).assumingMemoryBound(to: UInt8.self)
        var low = SIMD16<Float>(), high = SIMD16<Float>()
        for i in 0..<16 {
            low[i] = Float(packed[i] & 15)
            high[i] = Float(packed[i] &>> 4)
        }
        let (scale, offset) = Self.scaleAndOffset(block)
        return (low, high, scale, offset)
    }
}

struct Q4_1Block: NibbleBlockFormat {
    static let bytes = 20
    static let packedOffset = 4

    @inline(__always)
    static func scaleAndOffset(_ block: UnsafeRawPointer) -> (scale: Float, offset: Float) {
        let pair = Half.pair(block)
        return (pair[0], pair[1])
    }
}

struct Q4_0Block: NibbleBlockFormat {
    static let bytes = 18
    static let packedOffset = 2

    @inline(__always)
    static func scaleAndOffset(_ block: UnsafeRawPointer) -> (scale: Float, offset: Float) {
        let d = Half.float(block.loadUnaligned(as: UInt16.self))
        return (d, -8 * d)
    }
}

struct Q8_0Block: QuantBlockFormat {
    static let bytes = 34

    @inline(__always)
    func decode(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, scale: Float, offset: Float) {
        let values = (block + 2).assumingMemoryBound(to: Int8.self)
        // Two loops through Int32: the single loop straight from Int8 stays scalar (7× slower).
        var low = SIMD16<Float>()
        for i in 0..<16 { low[i] = Float(Int32(values[i])) }
        var high = SIMD16<Float>()
        for i in 0..<16 { high[i] = Float(Int32(values[i &+ 16])) }
        return (low, high, Half.float(block.loadUnaligned(as: UInt16.self)), 0)
    }
}
