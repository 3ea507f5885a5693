/// How a run ended (Dify's names).
public enum RunStatus: String, Sendable, Codable {
    case running
    case succeeded
    case failed
    case stopped
    /// Some node failed, but its error strategy handled it.
    case partialSucceeded = "partial-succeeded"
}

/// How one node execution ended.
public enum NodeStatus: String, Sendable, Codable {
    case running
    case succeeded
    case failed
    /// Failed, handled by `on_error` (default outputs or the fail branch).
    case exception
    case stopped
}
