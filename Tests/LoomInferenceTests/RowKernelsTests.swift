import Foundation
@testable import LoomInference
import Testing

/// The element-wise functions that stand in for libm's, against libm in Double.
struct RowKernelsTests {
    @Test func expIsWithinTwoUlpOfTheTrueValueAndSaturatesAtTheEnds() {
        var worst: Float = 0
        for step in 0...200_000 {
            let x = -87 + Float(step) * (175.0 / 200_000)
            let exact = Foundation.exp(Double(x))
            worst = max(worst, Float(abs(Double(RowKernels.exp(x)) - exact) / Double(Float(exact).ulp)))
        }
        #expect(worst <= 2, "off by \(worst) ulp")
        #expect(RowKernels.exp(0) == 1)
        #expect(RowKernels.exp(-1000) < 1e-37)
        #expect(RowKernels.exp(1000).isFinite && RowKernels.exp(1000) > 1e38)
    }

    @Test(arguments: [1, 15, 16, 17, 130])
    func softmaxMatchesTheDoubleDefinitionAtEveryLength(_ count: Int) {
        var generator = SplitMix64(seed: UInt64(count))
        // A wide spread, so a wrong maximum or a lane left out of the total shows.
        var values = (0..<count).map { _ in Float.random(in: -40...40, using: &generator) }
        let top = values.map(Double.init).max()!
        let weights = values.map { Foundation.exp(Double($0) - top) }
        let exact = weights.map { $0 / weights.reduce(0, +) }
        values.withUnsafeMutableBufferPointer { RowKernels.softmax($0.baseAddress!, count: count) }
        let worst = zip(values, exact).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-6, "\(count) values: off by \(worst)")
    }

    @Test(arguments: [1, 15, 16, 17, 40])
    func layerNormMatchesTheDoubleDefinitionAtEveryWidth(_ width: Int) {
        var generator = SplitMix64(seed: UInt64(width))
        let rows = 3
        let random = { (count: Int, range: ClosedRange<Float>) in (0..<count).map { _ in Float.random(in: range, using: &generator) } }
        // An offset mean, so a row left uncentred or a lane left out of a sum shows.
        var x = random(rows * width, 2...6)
        let residual = random(rows * width, -1...1), weight = random(width, 0.5...1.5), bias = random(width, -0.5...0.5)
        var exact: [Double] = []
        for row in 0..<rows {
            let values = (0..<width).map { Double(x[row * width + $0]) + Double(residual[row * width + $0]) }
            let mean = values.reduce(0, +) / Double(width)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            exact += values.indices.map { ($0, values[$0]) }.map { d, value in
                (value - mean) / (variance + 1e-12).squareRoot() * Double(weight[d]) + Double(bias[d])
            }
        }
        x.withUnsafeMutableBufferPointer { x in
            RowKernels.addLayerNorm(x.baseAddress!, adding: residual, weight: weight, bias: bias, epsilon: 1e-12, width: width, rows: 0..<rows)
        }
        let worst = zip(x, exact).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-5, "width \(width): off by \(worst)")
    }

    @Test func erfIsWithinOneMillionthOfTheTrueValue() {
        var worst = 0.0
        for step in 0...100_000 {
            let x = -6 + Float(step) * (12.0 / 100_000)
            worst = max(worst, abs(Double(RowKernels.erf(x)) - Foundation.erf(Double(x))))
        }
        #expect(worst < 1e-6, "off by \(worst)")
    }
}
