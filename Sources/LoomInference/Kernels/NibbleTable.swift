#if LOOM_NIBBLE_TABLES
import Builtin

/// A 4-bit block's weights as floats by table lookup: the block's 16 possible weights (value · scale + offset) are
/// one vector, and each value picks its weight with AVX-512's 16-lane permute. Converting each value to float and
/// scaling it instead takes two instructions on the port that the multiply-adds also need; the permute runs on
/// another. Swift has no dynamic shuffle, so the permute is LLVM's intrinsic, reached through the Builtin module.
enum NibbleTable {
    /// 0…15 (see `Tabulated.iota`). Written once, then only read.
    nonisolated(unsafe) static let iota: UnsafePointer<SIMD16<Float>> = {
        let memory = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: 1)
        memory.initialize(to: SIMD16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
        return UnsafePointer(memory)
    }()

    /// The weights of 16 packed bytes (low nibbles are a block's first 16 values, high nibbles the next), for a
    /// block whose value q weighs q · scale + offset. `iota` is 0…15 (see `Tabulated.iota`).
    @inline(__always)
    static func weights(_ packed: UnsafeRawPointer, iota: SIMD16<Float>, scale: Float, offset: Float) -> (low: SIMD16<Float>, high: SIMD16<Float>) {
        let table = SIMD16(repeating: offset).addingProduct(iota, scale)
        let bytes = packed.assumingMemoryBound(to: UInt8.self)
        // The permute reads only an index's low four bits, so the low nibbles need no mask.
        var low = SIMD16<Int32>(), high = SIMD16<Int32>()
        for i in 0..<16 {
            low[i] = Int32(bytes[i])
            high[i] = Int32(bytes[i] &>> 4)
        }
        return (lookup(table, low), lookup(table, high))
    }

    @inline(__always)
    private static func lookup(_ table: SIMD16<Float>, _ indices: SIMD16<Int32>) -> SIMD16<Float> {
        var result = SIMD16<Float>()
        result._storage._value = Builtin.int_x86_avx512_permvar_sf_512(table._storage._value, indices._storage._value)
        return result
    }
}

/// A 4-bit format whose kernels multiply its weights themselves, looked up in a `NibbleTable`.
struct Tabulated<Format: NibbleBlockFormat>: QuantBlockFormat {
    static var bytes: Int { Format.bytes }
    static var tabulated: Bool { true }

    /// 0…15, read from memory once per product: from a literal, LLVM splits the table's multiply-add into lanes
    /// (folding `0 · scale` and `1 · scale`), which made the kernels twice as slow; read from the global at each
    /// block, it costs a lazy-initialisation check per row.
    let iota = NibbleTable.iota.pointee

    @inline(__always)
    func decode(_ block: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>, scale: Float, offset: Float) {
        let (scale, offset) = Format.scaleAndOffset(block)
        let (low, high) = NibbleTable.weights(block + Format.packedOffset, iota: iota, scale: scale, offset: offset)
        return (low, high, 1, 0)
    }
}
#endif
