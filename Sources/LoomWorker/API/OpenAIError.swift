import Hummingbird
import LoomInference
import LoomWorkflow

/// An error in OpenAI's shape — `{"error": {"message", "type", "param", "code"}}` — with its HTTP status, so
/// OpenAI clients show the message as they would the hosted API's.
public struct OpenAIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public var description: String { message }

    public static func invalid(_ message: String, param: String? = nil) -> OpenAIError {
        OpenAIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: nil)
    }

    public static func unknownModel(_ name: String, served: [String]) -> OpenAIError {
        OpenAIError(
            status: .notFound, message: "The model '\(name)' does not exist on this worker; it serves: \(served.joined(separator: ", "))",
            type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    public static func wrongKind(_ name: String, expected: String) -> OpenAIError {
        OpenAIError(status: .badRequest, message: "The model '\(name)' is not a\(expected == "embedding" ? "n" : "") \(expected) model", type: "invalid_request_error", param: "model", code: nil)
    }

    static func rejected(_ rejection: BatchScheduler.Rejection) -> OpenAIError {
        switch rejection {
        case .queueFull:
            OpenAIError(status: .tooManyRequests, message: rejection.description, type: "rate_limit_error", param: nil, code: "rate_limit_exceeded")
        case .promptTooLong:
            OpenAIError(status: .badRequest, message: rejection.description, type: "invalid_request_error", param: "messages", code: "context_length_exceeded")
        case .emptyPrompt:
            .invalid(rejection.description, param: "prompt")
        case .shutDown:
            OpenAIError(status: .serviceUnavailable, message: rejection.description, type: "server_error", param: nil, code: nil)
        }
    }

    var body: Value {
        ["error": ["message": .string(message), "type": .string(type), "param": param.map(Value.string) ?? .null, "code": code.map(Value.string) ?? .null]]
    }

    var response: Response {
        var response = WorkerJSON.response(body, status: status)
        if status == .tooManyRequests { response.headers[.retryAfter] = "1" }
        return response
    }
}
