/// Runs a code node's program: `main(**inputs)` in the given language, returning what it returned. Implemented
/// outside the engine (a sandbox of processes); absent, code nodes fail with a clear error. A cancelled task (the
/// node's timeout, a stopped run) stops the program.
public protocol CodeRunner: Sendable {
    func run(_ program: CodeProgram) async throws(CodeRunError) -> Value
}

public struct CodeProgram: Sendable {
    public var language: CodeLanguage
    public var code: String
    public var inputs: [String: Value]

    public init(language: CodeLanguage, code: String, inputs: [String: Value]) {
        self.language = language
        self.code = code
        self.inputs = inputs
    }
}

public enum CodeLanguage: String, Sendable, CaseIterable {
    case python3
    case javascript
}

/// Why a program gave no result.
public enum CodeRunError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The program raised or exited with an error; the message is its own (the last lines of its error output).
    case failed(String)
    case timedOut(seconds: Double)
    case cpuLimit(seconds: Int)
    case memoryLimit(megabytes: Int)
    case outputTooLarge(limit: Int)
    /// `main` returned something that is not a JSON object.
    case badResult(String)
    /// No interpreter for the language, or no sandbox to run it in.
    case unavailable(String)
    /// The run was stopped or the node's time ran out while the program ran; it was killed.
    case stopped

    public var description: String {
        switch self {
        case .failed(let message): return message
        case .timedOut(let seconds): return "the code ran longer than \(JSONWriter.format(seconds)) s and was stopped"
        case .cpuLimit(let seconds): return "the code used more than \(seconds) s of CPU time and was stopped"
        case .memoryLimit(let megabytes): return "the code needed more than \(megabytes) MB of memory"
        case .outputTooLarge(let limit): return "the code wrote more than \(limit / 1024) KB of output"
        case .badResult(let message): return message
        case .unavailable(let message): return message
        case .stopped: return "the code was stopped before it finished"
        }
    }
}
