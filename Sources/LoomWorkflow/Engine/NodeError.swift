/// Why a node failed. `type` becomes the `error_type` output under `on_error`.
public enum NodeError: Error, Sendable, CustomStringConvertible {
    case timedOut(Duration)
    /// The run's own time limit ran out while the node waited.
    case runTimeLimit(String)
    case serviceUnavailable(String)
    case invalidValue(String)
    case model(ModelError)
    case http(HTTPFetchError)
    case tool(name: String, message: String)
    case outputTooLarge(output: String, bytes: Int, limit: Int)
    case notMapped(String)
    case failed(type: String, message: String)

    public var type: String {
        switch self {
        case .timedOut: return "timeout"
        case .runTimeLimit: return Self.runTimeLimitType
        case .serviceUnavailable: return "service_unavailable"
        case .invalidValue: return "invalid_value"
        case .model: return "model_error"
        case .http: return "http_error"
        case .tool: return "tool_error"
        case .outputTooLarge: return "output_too_large"
        case .notMapped: return "not_available"
        case .failed(let type, _): return type
        }
    }

    public var description: String {
        switch self {
        case .timedOut(let limit): return "timed out after \(JSONWriter.format(limit.seconds)) s"
        case .serviceUnavailable(let message), .invalidValue(let message), .notMapped(let message), .runTimeLimit(let message): return message
        case .model(let error): return error.description
        case .http(let error): return error.description
        case .tool(let name, let message): return "tool '\(name)': \(message)"
        case .outputTooLarge(let output, let bytes, let limit):
            return "output '\(output)' is \(bytes / 1024) KB, over the \(limit / 1024) KB limit for one variable"
        case .failed(_, let message): return message
        }
    }

    static let runTimeLimitType = "run_time_limit"

    /// Classifies any error a node threw.
    static func from(_ error: any Error) -> NodeError {
        switch error {
        case let error as NodeError: return error
        case let error as ModelError: return .model(error)
        case let error as HTTPFetchError: return .http(error)
        default: return .failed(type: "error", message: "\(error)")
        }
    }
}
