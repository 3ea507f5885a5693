/// The end of a run: its status, outputs and totals.
public struct RunResult: Sendable {
    public var runId: String
    public var status: RunStatus
    public var outputs: [String: Value]
    public var error: String?
    public var elapsed: Duration
    public var usage: TokenUsage
    /// Node executions, counting those inside iterations.
    public var steps: Int

    public var succeeded: Bool { status == .succeeded || status == .partialSucceeded }
}
