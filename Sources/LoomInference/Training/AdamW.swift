import Foundation

/// AdamW (Loshchilov & Hutter): Adam's moment estimates with bias correction, and weight decay applied to the
/// parameters directly rather than through the gradient. Its state is part of every checkpoint.
public struct AdamW: Sendable, Equatable {
    public static let beta1: Float = 0.9
    public static let beta2: Float = 0.999
    public static let epsilon: Float = 1e-8

    public var firstMoment: [Float]
    public var secondMoment: [Float]
    /// Updates applied so far.
    public var steps: Int

    public init(count: Int) {
        firstMoment = [Float](repeating: 0, count: count)
        secondMoment = [Float](repeating: 0, count: count)
        steps = 0
    }

    public init(firstMoment: [Float], secondMoment: [Float], steps: Int) {
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.steps = steps
    }

    /// One update with `gradients` multiplied by `gradientScale` (1 / the batch's target weight).
    public mutating func update(_ parameters: inout [Float], gradients: [Float], gradientScale: Float, learningRate: Float, weightDecay: Float) {
        precondition(parameters.count == gradients.count && gradients.count == firstMoment.count)
        steps += 1
        let (b1, b2) = (Self.beta1, Self.beta2)
        let correction1 = 1 - powf(b1, Float(steps))
        let correction2 = 1 - powf(b2, Float(steps))
        let count = parameters.count
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        for i in 0..<count {
                            let gradient = g[i] * gradientScale
                            m[i] = b1 * m[i] + (1 - b1) * gradient
                            v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
                            let step = (m[i] / correction1) / ((v[i] / correction2).squareRoot() + Self.epsilon)
                            p[i] -= learningRate * (step + weightDecay * p[i])
                        }
                    }
                }
            }
        }
    }
}
