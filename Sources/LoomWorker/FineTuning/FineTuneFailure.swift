/// Why a fine-tune job cannot go on, in OpenAI's error shape: a code, a message a user can act on, and the request
/// field at fault.
public struct FineTuneFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var param: String?

    public init(code: String, message: String, param: String? = nil) {
        self.code = code
        self.message = message
        self.param = param
    }

    public var description: String { message }

    public static func invalidData(_ message: String) -> FineTuneFailure {
        FineTuneFailure(code: "invalid_training_file", message: message, param: "training_file")
    }
}
