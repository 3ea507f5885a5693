/// What the engine does around a node: retries, its time limit, and what a failure means.
public struct NodePolicy: Sendable {
    public var retry: RetryPolicy?
    /// Falls back to the run's remaining time when unset.
    public var timeout: Duration?
    public var onError: ErrorStrategy

    public init(retry: RetryPolicy? = nil, timeout: Duration? = nil, onError: ErrorStrategy = .fail) {
        self.retry = retry
        self.timeout = timeout
        self.onError = onError
    }
}

public struct RetryPolicy: Sendable, Equatable {
    public var maxRetries: Int
    public var interval: Duration

    public init(maxRetries: Int, interval: Duration) {
        self.maxRetries = maxRetries
        self.interval = interval
    }
}

/// Dify's error strategies: fail the run, continue with default outputs, or take the `fail-branch` edge.
public enum ErrorStrategy: Sendable {
    case fail
    case defaultValue([String: ValueTemplate])
    case branch

    public var handlesErrors: Bool {
        if case .fail = self { return false }
        return true
    }
}

/// Edge handles with fixed meanings.
public enum EdgeHandle {
    public static let source = "source"
    public static let failBranch = "fail-branch"
    public static let elseBranch = "else"
}
