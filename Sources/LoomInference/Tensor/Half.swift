/// IEEE half and bfloat16 to Float. Half converts in one instruction (F16C on x86, which the kernels' native
/// target has; arm64 has its own): the 65,536-entry table it replaces cost a lazy-global check per row and a load
/// from a table that does not fit the first cache level for every block.
enum Half {
    @inline(__always)
    static func float(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    @inline(__always)
    static func bfloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
