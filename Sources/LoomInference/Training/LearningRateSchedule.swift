import Foundation

/// Linear warm-up from zero to the peak rate, then cosine decay to a tenth of it at the last step.
public struct LearningRateSchedule: Sendable, Equatable {
    public let peak: Float
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(peak: Float, totalSteps: Int, warmupFraction: Float) {
        self.peak = peak
        self.totalSteps = max(1, totalSteps)
        self.warmupSteps = min(self.totalSteps - 1, Int((Float(self.totalSteps) * warmupFraction).rounded()))
    }

    /// The rate of step `step` (0-based).
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps + 1) }
        let floor = peak / 10
        let decaySteps = totalSteps - warmupSteps
        let progress = decaySteps > 1 ? Float(step - warmupSteps) / Float(decaySteps - 1) : 1
        return floor + (peak - floor) * 0.5 * (1 + cos(Float.pi * min(progress, 1)))
    }
}
