/// Element-wise passes of the encoder, row by row on raw pointers so they vectorise and can be split over the
/// compute pool (Array subscripts are bounds-checked and libm's erff is called one value at a time).
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
            var sum: Float = 0
            for d in 0..<width { sum += values[d] }
            let mean = sum / Float(width)
            var squares: Float = 0
            for d in 0..<width {
                let centred = values[d] - mean
                squares += centred * centred
            }
            let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
            for d in 0..<width { values[d] = (values[d] - mean) * scale * weight[d] + bias[d] }
        }
    }
}
