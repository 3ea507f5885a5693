import Builtin

/// IEEE half and bfloat16 to Float, and Float to half. Half converts in one instruction (F16C on x86, which the
/// kernels' native target has; arm64 has its own): the 65,536-entry table it replaces cost a lazy-global check per
/// row and a load from a table that does not fit the first cache level for every block.
enum Half {
    @inline(__always)
    static func float(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// Two adjacent halves (a block's scale and offset) in one conversion: converted one by one, each takes an
    /// insert and a conversion of its own, which made a 4-bit block cost a third more.
    @inline(__always)
    static func pair(_ pointer: UnsafeRawPointer) -> SIMD2<Float> {
        let halves = pointer.loadUnaligned(as: SIMD2<Float16>.self)
        var floats = SIMD2<Float>()
        floats._storage._value = Builtin.fpext_Vec2xFPIEEE16_Vec2xFPIEEE32(halves._storage._value)
        return floats
    }

    /// Sixteen adjacent halves in one conversion (sixteen rows' scales in `InterleavedBlocks`).
    @inline(__always)
    static func floats(_ pointer: UnsafeRawPointer) -> SIMD16<Float> {
        let halves = pointer.loadUnaligned(as: SIMD16<Float16>.self)
        var floats = SIMD16<Float>()
        floats._storage._value = Builtin.fpext_Vec16xFPIEEE16_Vec16xFPIEEE32(halves._storage._value)
        return floats
    }

    /// `count` floats rounded to the nearest half (a step's keys and values going into the cache), sixteen in one
    /// conversion instead of one at a time.
    static func round(_ source: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<Float16>) {
        var index = 0
        while index &+ 16 <= count {
            let floats = UnsafeRawPointer(source + index).loadUnaligned(as: SIMD16<Float>.self)
            var halves = SIMD16<Float16>()
            halves._storage._value = Builtin.fptrunc_Vec16xFPIEEE32_Vec16xFPIEEE16(floats._storage._value)
            UnsafeMutableRawPointer(target + index).storeBytes(of: halves, as: SIMD16<Float16>.self)
            index &+= 16
        }
        while index < count {
            target[index] = Float16(source[index])
            index &+= 1
        }
    }

    @inline(__always)
    static func bfloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
