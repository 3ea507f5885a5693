import AsyncHTTPClient
import Foundation
import LoomWorkflow
import NIOCore
import NIOHTTP1

/// Chat completions from any OpenAI-compatible server (vLLM, Ollama, hosted APIs, Loom's own worker pool),
/// streamed over SSE. One HTTP client per endpoint, so each keeps its own connect and read timeouts.
public final class OpenAICompatibleProvider: ModelProvider {
    public let catalog: ModelCatalog
    private let clients: [String: HTTPClient]

    public init(catalog: ModelCatalog) {
        self.catalog = catalog
        var clients: [String: HTTPClient] = [:]
        for (name, endpoint) in catalog.endpoints {
            clients[name] = .loomClient(connect: endpoint.connectTimeout, read: endpoint.readTimeout)
        }
        self.clients = clients
    }

    public func shutdown() async {
        for client in clients.values { try? await client.shutdown() }
    }

    public var modelNames: [String]? { catalog.names }

    func client(for endpoint: String) -> HTTPClient? { clients[endpoint] }

    public func chat(_ request: ChatRequest, onText: @Sendable (String) async -> Void) async throws(ModelError) -> ChatCompletion {
        guard let endpoint = catalog.endpoint(named: request.model), let client = clients[endpoint.name] else {
            throw ModelError.unknownModel(request.model, known: catalog.names)
        }
        let url = endpoint.baseURL + "/chat/completions"
        var http = HTTPClientRequest(url: url)
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        http.headers.add(name: "Accept", value: "text/event-stream")
        if let key = endpoint.apiKey { http.headers.add(name: "Authorization", value: "Bearer \(key)") }
        http.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(Self.body(request, endpoint: endpoint))))

        do {
            let response = try await client.execute(http, deadline: .distantFuture)
            guard response.status == .ok else {
                var body = try await response.body.collect(upTo: 64 * 1024)
                let text = body.readString(length: body.readableBytes) ?? ""
                throw ModelError.httpStatus(model: request.model, status: Int(response.status.code), message: Self.errorMessage(text))
            }
            let isStream = response.headers.first(name: "content-type")?.lowercased().contains("text/event-stream") ?? false
            if !isStream {
                var body = try await response.body.collect(upTo: 16 << 20)
                let completion = try Self.completion(fromJSON: body.readString(length: body.readableBytes) ?? "", model: request.model)
                if !completion.text.isEmpty { await onText(completion.text) }
                return completion
            }
            var reader = ServerSentEventLines()
            var stream = StreamAccumulator(model: request.model)
            for try await buffer in response.body {
                for line in reader.append(buffer.readableBytesView) {
                    guard let delta = try stream.consume(line) else { continue }
                    await onText(delta)
                }
            }
            return stream.completion
        } catch let error as ModelError {
            throw error
        } catch {
            throw Self.classify(error, model: request.model, endpoint: url)
        }
    }

    static func body(_ request: ChatRequest, endpoint: ModelEndpoint) -> Value {
        var body: [String: Value] = [
            "model": .string(endpoint.model),
            "messages": .array(request.messages.map(Self.message)),
            "stream": true,
            "stream_options": ["include_usage": true],
        ]
        if let maxTokens = request.maxTokens { body["max_tokens"] = .int(maxTokens) }
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        if let topP = request.topP { body["top_p"] = .double(topP) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map(Value.string)) }
        if let seed = request.seed { body["seed"] = .int(seed) }
        if let penalty = request.repetitionPenalty { body["repetition_penalty"] = .double(penalty) }
        if let schema = request.outputSchema {
            body["response_format"] = ["type": "json_schema", "json_schema": ["name": "output", "strict": true, "schema": schema]]
        }
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map { tool in
                ["type": "function", "function": ["name": .string(tool.name), "description": .string(tool.description), "parameters": tool.parameters]]
            })
            switch request.toolChoice {
            case .auto: body["tool_choice"] = "auto"
            case .none: body["tool_choice"] = "none"
            case .required: body["tool_choice"] = "required"
            case .named(let name): body["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
            }
        }
        return .object(body)
    }

    /// A message as OpenAI's API writes it: an assistant's tool calls, a tool result's call id.
    static func message(_ message: ChatMessage) -> Value {
        var fields: [String: Value] = ["role": .string(message.role.rawValue), "content": .string(message.content)]
        if !message.toolCalls.isEmpty {
            fields["tool_calls"] = .array(message.toolCalls.map { call in
                ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
            })
            if message.content.isEmpty { fields["content"] = .null }
        }
        if let id = message.toolCallId { fields["tool_call_id"] = .string(id) }
        return .object(fields)
    }

    /// `tool_calls` of a whole response message.
    static func toolCalls(_ value: Value?) -> [ToolCall] {
        (value?.arrayValue ?? []).compactMap { call in
            guard let name = call[path: ["function", "name"]]?.stringValue else { return nil }
            return ToolCall(
                id: call[path: ["id"]]?.stringValue ?? "call_\(name)", name: name, arguments: call[path: ["function", "arguments"]]?.stringValue ?? "{}")
        }
    }

    /// The `error.message` of an OpenAI-style error body, or the body itself.
    static func errorMessage(_ body: String) -> String {
        if let value = try? JSONDocumentReader.parse(body).value, let message = value[path: ["error", "message"]]?.stringValue {
            return message
        }
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "(empty body)" : String(trimmed.prefix(300))
    }

    static func completion(fromJSON text: String, model: String) throws(ModelError) -> ChatCompletion {
        guard let value = try? JSONDocumentReader.parse(text).value, let choice = value[path: ["choices", "0"]] else {
            throw ModelError.badResponse(model: model, reason: "no choices in the response")
        }
        let usage = TokenUsage(
            promptTokens: value[path: ["usage", "prompt_tokens"]]?.numberValue.map { Int($0) } ?? 0,
            completionTokens: value[path: ["usage", "completion_tokens"]]?.numberValue.map { Int($0) } ?? 0)
        return ChatCompletion(
            text: choice[path: ["message", "content"]]?.stringValue ?? "", finishReason: choice[path: ["finish_reason"]]?.stringValue ?? "stop",
            usage: usage, toolCalls: toolCalls(choice[path: ["message", "tool_calls"]]))
    }

    static func classify(_ error: any Error, model: String, endpoint: String) -> ModelError {
        if error is CancellationError { return .cancelled }
        if let client = error as? HTTPClientError {
            switch client {
            case .cancelled: return .cancelled
            case .readTimeout, .connectTimeout, .deadlineExceeded: return .timedOut(model: model, endpoint: endpoint)
            default: break
            }
        }
        if Task.isCancelled { return .cancelled }
        return .unreachable(model: model, endpoint: endpoint, reason: String(describing: error))
    }
}

/// Collects a streamed chat completion from its SSE `data:` lines.
struct StreamAccumulator {
    let model: String
    private var text = ""
    private var finishReason: String?
    private var usage: TokenUsage?
    private var chunks = 0
    /// Tool calls arrive in pieces keyed by index: the id and name first, the arguments' text in parts.
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]

    init(model: String) {
        self.model = model
    }

    /// The text delta a line carries, if any.
    mutating func consume(_ line: String) throws(ModelError) -> String? {
        guard line.hasPrefix("data:") else { return nil }
        let payload = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
        if payload == "[DONE]" || payload.isEmpty { return nil }
        guard let value = try? JSONDocumentReader.parse(payload).value else {
            throw ModelError.badResponse(model: model, reason: "a stream event is not JSON: \(payload.prefix(120))")
        }
        if let message = value[path: ["error", "message"]]?.stringValue {
            throw ModelError.httpStatus(model: model, status: 500, message: message)
        }
        if let prompt = value[path: ["usage", "prompt_tokens"]]?.numberValue {
            usage = TokenUsage(promptTokens: Int(prompt), completionTokens: Int(value[path: ["usage", "completion_tokens"]]?.numberValue ?? 0))
        }
        if let reason = value[path: ["choices", "0", "finish_reason"]]?.stringValue { finishReason = reason }
        for piece in value[path: ["choices", "0", "delta", "tool_calls"]]?.arrayValue ?? [] {
            let index = piece[path: ["index"]]?.numberValue.map { Int($0) } ?? calls.count
            var call = calls[index] ?? ("", "", "")
            if let id = piece[path: ["id"]]?.stringValue { call.id = id }
            if let name = piece[path: ["function", "name"]]?.stringValue { call.name += name }
            if let arguments = piece[path: ["function", "arguments"]]?.stringValue { call.arguments += arguments }
            calls[index] = call
        }
        guard let delta = value[path: ["choices", "0", "delta", "content"]]?.stringValue, !delta.isEmpty else { return nil }
        text += delta
        chunks += 1
        return delta
    }

    /// Usage as the server reported it; a server that reports none gets its chunks counted as tokens.
    var completion: ChatCompletion {
        ChatCompletion(
            text: text, finishReason: finishReason ?? "stop", usage: usage ?? TokenUsage(promptTokens: 0, completionTokens: chunks),
            toolCalls: calls.keys.sorted().compactMap { index in
                let call = calls[index]!
                return call.name.isEmpty ? nil : ToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: call.arguments.isEmpty ? "{}" : call.arguments)
            })
    }
}
