import Foundation
import LoomInference
import LoomWorkflow

/// The JSON of a chat completion or a text completion, whole or as stream chunks; the two APIs differ only in
/// these shapes.
struct CompletionShape {
    enum Kind {
        case chat, text
    }

    let kind: Kind
    let id: String
    let model: String
    let created = Int(Date().timeIntervalSince1970)
    /// Set when the reply is a constrained tool call or answer, read into `tool_calls` or `content`.
    let tools: ToolMode?

    init(kind: Kind, model: String, tools: ToolMode? = nil) {
        self.kind = kind
        self.model = model
        self.tools = tools
        let random = UInt64.random(in: 0...UInt64.max)
        id = (kind == .chat ? "chatcmpl-" : "cmpl-") + String(random, radix: 16)
    }

    private var object: String { kind == .chat ? "chat.completion" : "text_completion" }
    private var chunkObject: String { kind == .chat ? "chat.completion.chunk" : "text_completion" }

    static func finishReason(_ finish: FinishReason) -> Value {
        // A cancelled sequence is never answered (its client left); `stop` keeps clients' enums closed.
        .string(finish == .length ? "length" : "stop")
    }

    static func usage(_ summary: GenerationSummary) -> Value {
        ["prompt_tokens": .int(summary.promptTokens), "completion_tokens": .int(summary.tokens.count), "total_tokens": .int(summary.promptTokens + summary.tokens.count)]
    }

    func whole(_ summary: GenerationSummary) -> Value {
        let reply = tools?.reply(summary.text)
        let choice: Value =
            kind == .chat
            ? ["index": 0, "message": message(summary, reply), "finish_reason": finishReason(summary, reply), "logprobs": nil]
            : ["index": 0, "text": .string(summary.text), "finish_reason": Self.finishReason(summary.finish), "logprobs": nil]
        return ["id": .string(id), "object": .string(object), "created": .int(created), "model": .string(model), "choices": [choice], "usage": Self.usage(summary)]
    }

    /// The assistant's message: its text, or what a tool-calling reply meant.
    private func message(_ summary: GenerationSummary, _ reply: ToolMode.Reply?) -> Value {
        switch reply {
        case nil: return ["role": "assistant", "content": .string(summary.text)]
        case .answer(let text)?: return ["role": "assistant", "content": .string(text)]
        case .call(let id, let name, let arguments)?:
            return ["role": "assistant", "content": nil, "tool_calls": [Self.call(id: id, name: name, arguments: arguments, index: nil)]]
        }
    }

    private func finishReason(_ summary: GenerationSummary, _ reply: ToolMode.Reply?) -> Value {
        if case .call? = reply { return "tool_calls" }
        return Self.finishReason(summary.finish)
    }

    private static func call(id: String, name: String, arguments: String, index: Int?) -> Value {
        var fields: [String: Value] = ["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]
        if let index { fields["index"] = .int(index) }
        return .object(fields)
    }

    /// A tool-calling stream's one delta, once the reply is whole (`reply`: what `tools` read in it).
    func toolDelta(_ summary: GenerationSummary, _ reply: ToolMode.Reply?) -> Value {
        switch reply {
        case .call(let id, let name, let arguments)?:
            return chunk(["index": 0, "delta": ["tool_calls": [Self.call(id: id, name: name, arguments: arguments, index: 0)]], "finish_reason": nil, "logprobs": nil])
        case .answer(let text)?: return delta(text)
        case nil: return delta(summary.text)
        }
    }

    /// The chunk that opens a chat stream (the assistant role), none for text completions.
    var opening: Value? {
        guard kind == .chat else { return nil }
        return chunk(["index": 0, "delta": ["role": "assistant", "content": ""], "finish_reason": nil, "logprobs": nil])
    }

    func delta(_ text: String) -> Value {
        kind == .chat
            ? chunk(["index": 0, "delta": ["content": .string(text)], "finish_reason": nil, "logprobs": nil])
            : chunk(["index": 0, "text": .string(text), "finish_reason": nil, "logprobs": nil])
    }

    func closing(_ summary: GenerationSummary, reply: ToolMode.Reply? = nil) -> Value {
        kind == .chat
            ? chunk(["index": 0, "delta": [:], "finish_reason": finishReason(summary, reply), "logprobs": nil])
            : chunk(["index": 0, "text": "", "finish_reason": Self.finishReason(summary.finish), "logprobs": nil])
    }

    /// The usage chunk `stream_options.include_usage` asks for: no choices, only usage.
    func usageChunk(_ summary: GenerationSummary) -> Value {
        var value = chunk(nil)
        if case .object(var fields) = value {
            fields["usage"] = Self.usage(summary)
            value = .object(fields)
        }
        return value
    }

    private func chunk(_ choice: Value?) -> Value {
        ["id": .string(id), "object": .string(chunkObject), "created": .int(created), "model": .string(model), "choices": .array(choice.map { [$0] } ?? [])]
    }
}
