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
    /// The conversation variables as the run left them (chat apps that declare any), to keep for the next turn.
    public var conversationVariables: [String: Value]?

    public init(runId: String, status: RunStatus, outputs: [String: Value], error: String? = nil, elapsed: Duration, usage: TokenUsage, steps: Int) {
        self.runId = runId
        self.status = status
        self.outputs = outputs
        self.error = error
        self.elapsed = elapsed
        self.usage = usage
        self.steps = steps
    }

    public var succeeded: Bool { status == .succeeded || status == .partialSucceeded }
}
