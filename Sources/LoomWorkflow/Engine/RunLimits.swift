/// Bounds on one run (Dify's defaults). Exceeding one fails the run with a message naming the limit.
public struct RunLimits: Sendable, Equatable {
    /// Node executions, counting nodes inside iterations.
    public var maxSteps: Int
    public var maxDuration: Duration
    /// Iterations inside iterations.
    public var maxDepth: Int
    public var maxIterationItems: Int
    /// Size of any single output value.
    public var maxVariableBytes: Int

    public init(
        maxSteps: Int = 500, maxDuration: Duration = .seconds(1200), maxDepth: Int = 5,
        maxIterationItems: Int = 1000, maxVariableBytes: Int = 200 * 1024
    ) {
        self.maxSteps = maxSteps
        self.maxDuration = maxDuration
        self.maxDepth = maxDepth
        self.maxIterationItems = maxIterationItems
        self.maxVariableBytes = maxVariableBytes
    }

    public static let `default` = RunLimits()

    /// The stricter of two sets of limits: a workflow may lower the operator's limits, never raise them.
    public func capped(by ceiling: RunLimits) -> RunLimits {
        RunLimits(
            maxSteps: min(maxSteps, ceiling.maxSteps), maxDuration: min(maxDuration, ceiling.maxDuration),
            maxDepth: min(maxDepth, ceiling.maxDepth), maxIterationItems: min(maxIterationItems, ceiling.maxIterationItems),
            maxVariableBytes: min(maxVariableBytes, ceiling.maxVariableBytes))
    }
}
