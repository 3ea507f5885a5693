/// Float vector operations other modules share (norms and float rows here, vector search in LoomKnowledge).
public enum VectorKernels {
    /// a · b, sixteen lanes at a time; wrapping index arithmetic keeps the loop vectorised.
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var vector = SIMD16<Float>(repeating: 0)
        var index = 0
        while index &+ 16 <= count {
            vector += UnsafeRawPointer(a + index).loadUnaligned(as: SIMD16<Float>.self) * UnsafeRawPointer(b + index).loadUnaligned(as: SIMD16<Float>.self)
            index &+= 16
        }
        var tail: Float = 0
        while index < count {
            tail += a[index] * b[index]
            index &+= 1
        }
        return vector.sum() + tail
    }

    /// a · b with fused multiply-adds into two accumulators: about twice as fast as `dot` where a search spends its
    /// time in dot products. `dot` keeps its summation order for the norms and training kernels built on it.
    @inlinable
    public static func fusedDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var even = SIMD16<Float>(), odd = SIMD16<Float>()
        var index = 0
        while index &+ 32 <= count {
            even = even.addingProduct(UnsafeRawPointer(a + index).loadUnaligned(as: SIMD16<Float>.self), UnsafeRawPointer(b + index).loadUnaligned(as: SIMD16<Float>.self))
            odd = odd.addingProduct(
                UnsafeRawPointer(a + (index &+ 16)).loadUnaligned(as: SIMD16<Float>.self), UnsafeRawPointer(b + (index &+ 16)).loadUnaligned(as: SIMD16<Float>.self))
            index &+= 32
        }
        var tail: Float = 0
        while index < count {
            tail += a[index] * b[index]
            index &+= 1
        }
        return (even + odd).sum() + tail
    }
}
