/// Element-wise functions and passes, row by row on raw pointers so they vectorise and can be split over the
/// compute pool (Array subscripts are bounds-checked, and libm's erff and expf are called one value at a time).
enum RowKernels {
    /// GELU with the exact erf form, in place.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count {
            let value = values[index]
            values[index] = 0.5 * value * (1 + erf(value * 0.707_106_78))
        }
    }

    /// erf within 1e-7 of the true value: a rational approximation on [-4, 4] (Eigen's fast erf coefficients);
    /// beyond that float's erf is ±1. Plain arithmetic, so a loop of it vectorises.
    @inline(__always)
    static func erf(_ input: Float) -> Float {
        let x = min(max(input, -4), 4)
        let x2 = x * x
        var p: Float = -2.726_142_258_013_06e-10
        p = p * x2 + 2.770_681_424_959_02e-08
        p = p * x2 - 2.101_024_020_825_08e-06
        p = p * x2 - 5.692_506_394_623_46e-05
        p = p * x2 - 7.349_906_303_268_55e-04
        p = p * x2 - 2.954_599_808_540_25e-03
        p = p * x2 - 1.609_603_332_624_15e-02
        var q: Float = -1.456_607_184_649_96e-05
        q = q * x2 - 2.133_740_552_789_05e-04
        q = q * x2 - 1.682_826_974_382_03e-03
        q = q * x2 - 7.373_329_167_204_68e-03
        q = q * x2 - 1.426_473_905_141_89e-02
        return x * p / q
    }

    /// e^x within 2 ulp for x in [-87, 88] (0 below, e^88.3 above): x = n·ln 2 + r with |r| ≤ ln 2 / 2, Cephes'
    /// polynomial for e^r, and 2^n built in the exponent bits. Plain arithmetic, so a loop of it vectorises where
    /// libm's expf is a call per value.
    @inline(__always)
    static func exp(_ input: Float) -> Float {
        let x = min(max(input, -87.3), 88.3)
        // Adding 1.5·2²³ rounds x·log₂e to an integer n that lands in the low bits of the sum's pattern.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 0.166_666_655
        p = p * r + 0.500_000_012
        let power = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        return (p * r * r + r + 1) * power
    }

    /// Softmax of `count` values in place. Maximum, exponentials and total sixteen lanes at a time: a float loop
    /// that carries a max or a sum from one value to the next stays scalar, and `pointwiseMax` and `SIMD.max()`
    /// compile to a loop over lanes. The encoder's attention spent 18% of its time in the scalar form with libm's
    /// expf.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let maximum = maximum(row, count: count)
        for j in 0..<count { row[j] = exp(row[j] - maximum) }
        let total = total(row, count: count)
        let inverse = 1 / total
        for j in 0..<count { row[j] *= inverse }
    }

    /// The largest of `count` values (NaN never is; -∞ when none is larger), sixteen lanes at a time.
    static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        let whole = count & ~15
        var lanes = SIMD16<Float>(repeating: -.infinity)
        var index = 0
        while index < whole {
            let chunk = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD16<Float>.self)
            lanes.replace(with: chunk, where: chunk .> lanes)
            index &+= 16
        }
        var maximum = -Float.infinity
        for lane in 0..<16 where lanes[lane] > maximum { maximum = lanes[lane] }
        for tail in whole..<count where values[tail] > maximum { maximum = values[tail] }
        return maximum
    }

    /// The sum of `count` values, sixteen lanes at a time.
    static func total(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>()
        var index = 0
        while index &+ 16 <= count {
            lanes += UnsafeRawPointer(values + index).loadUnaligned(as: SIMD16<Float>.self)
            index &+= 16
        }
        var tail: Float = 0
        while index < count {
            tail += values[index]
            index &+= 1
        }
        return lanes.laneSum + tail
    }

    /// `x = layerNorm(x + residual)` for each of `rows` rows of `width` values (residual may be nil).
    static func addLayerNorm(
        _ x: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, epsilon: Float, width: Int, rows: Range<Int>
    ) {
        for row in rows {
            let values = x + row &* width
            if let residual {
                let added = residual + row &* width
                for d in 0..<width { values[d] += added[d] }
            }
            // Sums sixteen lanes at a time: a scalar `+=` loop stays scalar (floating-point adds are not
            // reassociated), and these two sums were most of the encoder's layer norm.
            let mean = total(values, count: width) / Float(width)
            for d in 0..<width { values[d] -= mean }
            let scale = 1 / (VectorKernels.dot(values, values, count: width) / Float(width) + epsilon).squareRoot()
            for d in 0..<width { values[d] = values[d] * scale * weight[d] + bias[d] }
        }
    }
}
