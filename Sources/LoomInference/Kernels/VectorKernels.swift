/// Float vector operations other modules share (attention scores here, vector search in LoomKnowledge).
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
}
