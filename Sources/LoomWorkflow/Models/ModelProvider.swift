/// How nodes reach language models. The OpenAI-compatible HTTP provider, the bundled worker pool and test
/// providers all stand behind it.
public protocol ModelProvider: Sendable {
    /// Model names this provider answers to (`default` included when configured); nil when it takes any.
    var modelNames: [String]? { get }

    /// Runs a chat completion, handing each piece of text to `onText` as it arrives.
    func chat(_ request: ChatRequest, onText: @Sendable (String) async -> Void) async throws(ModelError) -> ChatCompletion
}

public struct ChatMessage: Sendable, Hashable {
    public enum Role: String, Sendable, CaseIterable {
        /// `tool`: a tool's result, answering the assistant's call `toolCallId`.
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String
    /// The tools an assistant message calls.
    public var toolCalls: [ToolCall]
    /// The call a tool message answers.
    public var toolCallId: String?

    public init(_ role: Role, _ content: String, toolCalls: [ToolCall] = [], toolCallId: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
    }
}

/// A function the model may call: its name, what it does, and a JSON Schema of its arguments.
public struct ToolDefinition: Sendable, Hashable {
    public var name: String
    public var description: String
    public var parameters: Value

    public init(name: String, description: String, parameters: Value) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// A call the model made: `arguments` as the JSON text it wrote.
public struct ToolCall: Sendable, Hashable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// OpenAI's `tool_choice`.
public enum ToolChoice: Sendable, Hashable {
    case auto, none, required
    case named(String)
}

public struct ChatRequest: Sendable {
    public var model: String
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]
    public var seed: Int?
    /// Above 1, tokens already in the context are made less likely (`repetition_penalty`, as Loom's worker and vLLM take it).
    public var repetitionPenalty: Double?
    /// A JSON Schema the reply must satisfy (sent as OpenAI's `response_format`; the bundled engine guarantees it).
    public var outputSchema: Value?
    public var tools: [ToolDefinition] = []
    public var toolChoice: ToolChoice = .auto

    public init(
        model: String, messages: [ChatMessage], maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil,
        stop: [String] = [], seed: Int? = nil, outputSchema: Value? = nil
    ) {
        self.outputSchema = outputSchema
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stop = stop
        self.seed = seed
    }
}

public struct ChatCompletion: Sendable {
    public var text: String
    /// `stop`, `length`, `tool_calls`, …, as OpenAI names them.
    public var finishReason: String
    public var usage: TokenUsage
    public var toolCalls: [ToolCall]

    public init(text: String, finishReason: String, usage: TokenUsage, toolCalls: [ToolCall] = []) {
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
        self.toolCalls = toolCalls
    }
}

public enum ModelError: Error, Sendable, CustomStringConvertible, Equatable {
    case unknownModel(String, known: [String])
    case unreachable(model: String, endpoint: String, reason: String)
    case httpStatus(model: String, status: Int, message: String)
    case timedOut(model: String, endpoint: String)
    case badResponse(model: String, reason: String)
    case cancelled

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            let list = known.isEmpty ? "none are configured" : "configured: \(known.sorted().joined(separator: ", "))"
            return "unknown model '\(name)' (\(list))"
        case .unreachable(let model, let endpoint, let reason):
            return "model '\(model)': cannot reach \(endpoint): \(reason)"
        case .httpStatus(let model, let status, let message):
            return "model '\(model)': the provider answered HTTP \(status): \(message)"
        case .timedOut(let model, let endpoint):
            return "model '\(model)': \(endpoint) did not answer in time"
        case .badResponse(let model, let reason):
            return "model '\(model)': unreadable response: \(reason)"
        case .cancelled:
            return "the request was cancelled"
        }
    }
}
