extension SIMD16 where Scalar == Float {
    /// The lanes' total by halving (four adds deep): `sum()` is fifteen adds, each waiting on the one before.
    @inline(__always)
    var laneSum: Float {
        let eight = lowHalf + highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }
}
