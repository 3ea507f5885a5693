import Foundation
import Hummingbird
import Logging
import LoomInference
import LoomWorkflow
import NIOCore

/// The OpenAI-compatible API over the worker's models.
struct WorkerController: Sendable {
    let models: WorkerModels
    let metrics: WorkerMetrics
    let maxBodyBytes: Int
    /// Texts one embeddings request may carry.
    static let maxEmbeddingInputs = 2048

    func register(on router: Router<WorkerRequestContext>) {
        router.post("/v1/chat/completions") { request, context in try await chatCompletions(request, context: context) }
        router.post("/v1/completions") { request, context in try await completions(request, context: context) }
        router.post("/v1/embeddings") { request, _ in try await embeddings(request) }
        router.get("/v1/models") { _, _ in modelList() }
        router.get("/healthz") { _, _ in health() }
        router.get("/metrics") { _, _ in
            for (name, chat) in models.chat { metrics.outstanding(model: name, count: chat.scheduler.outstanding) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text())))
        }
    }

    func chatCompletions(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        let body = try await WorkerJSON.object(request, limit: maxBodyBytes)
        var parameters = try CompletionParameters(body)
        let (chat, adapter) = try chatModel(parameters.model)
        guard let items = body["messages"]?.arrayValue, !items.isEmpty else {
            throw OpenAIError.invalid("'messages' must be a non-empty array of {role, content}", param: "messages")
        }
        var messages = try items.enumerated().map { index, item throws(OpenAIError) in try Self.message(item, index: index) }
        messages = ToolMode.writingCalls(messages, from: items)
        let tools = try ToolMode(body)
        if let tools {
            guard parameters.schema == nil else { throw OpenAIError.invalid("use either 'tools' or 'response_format', not both", param: "response_format") }
            messages = tools.instructing(messages)
            parameters.schema = tools.schema
        }
        let prompt = chat.model.encode(chat.model.chatTemplate.render(messages))
        return try await generate(
            parameters, prompt: prompt, chat: chat, adapter: adapter, shape: CompletionShape(kind: .chat, model: parameters.model, tools: tools),
            context: context)
    }

    func completions(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        let body = try await WorkerJSON.object(request, limit: maxBodyBytes)
        let parameters = try CompletionParameters(body)
        let (chat, adapter) = try chatModel(parameters.model)
        let text: String
        switch body["prompt"] {
        case .string(let prompt)?: text = prompt
        case .array(let items)? where items.count == 1 && items[0].stringValue != nil: text = items[0].stringValue!
        default: throw OpenAIError.invalid("'prompt' must be a string (one prompt per request)", param: "prompt")
        }
        return try await generate(
            parameters, prompt: chat.model.encode(text), chat: chat, adapter: adapter, shape: CompletionShape(kind: .text, model: parameters.model),
            context: context)
    }

    func embeddings(_ request: Request) async throws -> Response {
        let body = try await WorkerJSON.object(request, limit: maxBodyBytes)
        let fields = BodyFields(body)
        let name = try fields.string("model")
        guard let model = models.embedding[name] else {
            if models.chat[name] != nil { throw OpenAIError.wrongKind(name, expected: "embedding") }
            throw OpenAIError.unknownModel(name, served: models.names)
        }
        let texts: [String]
        switch body["input"] {
        case .string(let text)?: texts = [text]
        case .array(let items)? where !items.isEmpty && items.allSatisfy({ $0.stringValue != nil }): texts = items.map { $0.stringValue! }
        default: throw OpenAIError.invalid("'input' must be a string or a non-empty array of strings", param: "input")
        }
        guard texts.count <= Self.maxEmbeddingInputs else {
            throw OpenAIError.invalid("'input' has \(texts.count) texts; at most \(Self.maxEmbeddingInputs) per request", param: "input")
        }
        if let format = body["encoding_format"]?.stringValue, format != "float" {
            throw OpenAIError.invalid("'encoding_format' must be \"float\"", param: "encoding_format")
        }
        let (vectors, tokens) = await model.embed(texts)
        let total = tokens.reduce(0, +)
        metrics.embedded(model: name, texts: texts.count, tokens: total)
        let data: [Value] = vectors.enumerated().map { index, vector in
            ["object": "embedding", "index": .int(index), "embedding": .array(vector.map { .double(Double($0)) })]
        }
        return WorkerJSON.response(["object": "list", "data": .array(data), "model": .string(name), "usage": ["prompt_tokens": .int(total), "total_tokens": .int(total)]])
    }

    func modelList() -> Response {
        let data: [Value] = models.names.map { name in
            var entry: [String: Value] = [
                "id": .string(name), "object": "model", "created": 0, "owned_by": "loom", "kind": .string(models.embedding[name] != nil ? "embedding" : "chat"),
            ]
            if let base = FineTunedModelName.base(of: name) { entry["parent"] = .string(base) }
            return .object(entry)
        }
        return WorkerJSON.response(["object": "list", "data": .array(data)])
    }

    func health() -> Response {
        var outstanding: [String: Value] = [:]
        for (name, chat) in models.chat { outstanding[name] = .int(chat.scheduler.outstanding) }
        return WorkerJSON.response(["status": "ok", "models": .array(models.names.map(Value.string)), "outstanding": .object(outstanding)])
    }

    /// The chat model a request names, with the adapter of a fine-tuned name (`BASE:ft-SUFFIX`).
    private func chatModel(_ name: String) throws(OpenAIError) -> (WorkerModels.Chat, ServedAdapter?) {
        if let chat = models.chat[name] { return (chat, nil) }
        if models.embedding[name] != nil { throw .wrongKind(name, expected: "chat") }
        if let base = FineTunedModelName.base(of: name), let chat = models.chat[base] {
            let adapter: ServedAdapter?
            do {
                adapter = try models.adapters.adapter(named: name, for: chat.model)
            } catch {
                throw OpenAIError(status: .internalServerError, message: "the adapter of \(name) cannot be loaded: \(error)", type: "server_error", param: "model", code: nil)
            }
            if let adapter { return (chat, adapter) }
        }
        throw .unknownModel(name, served: models.names)
    }

    static func message(_ item: Value, index: Int) throws(OpenAIError) -> ChatTemplate.Message {
        let param = "messages[\(index)]"
        guard let fields = item.objectValue, let role = fields["role"]?.stringValue else {
            throw .invalid("\(param) must be an object with 'role' and 'content'", param: param)
        }
        guard ["system", "developer", "user", "assistant", "tool"].contains(role) else {
            throw .invalid("\(param).role '\(role)' is not one of system, developer, user, assistant, tool", param: param + ".role")
        }
        let content: String
        switch fields["content"] {
        case .string(let text)?: content = text
        case .null?, nil: content = ""
        case .array(let parts)?:
            // Content parts: only text parts are meaningful to a text model.
            content = try parts.map { part throws(OpenAIError) in
                guard part[path: ["type"]]?.stringValue == "text", let text = part[path: ["text"]]?.stringValue else {
                    throw .invalid("\(param).content: only text parts are supported", param: param + ".content")
                }
                return text
            }.joined(separator: "\n")
        default: throw .invalid("\(param).content must be a string or an array of text parts", param: param + ".content")
        }
        return ChatTemplate.Message(role: role == "developer" ? "system" : role, content: content)
    }

    /// The output constraint for a request, refused when its budget cannot hold the schema's shortest output.
    static func constraint(_ schema: JSONSchema, model: LlamaModel, budget: Int) throws(OpenAIError) -> OutputConstraint {
        let grammar: JSONGrammar
        do {
            grammar = try JSONGrammar(schema)
        } catch {
            throw .invalid("response_format: \(error)", param: "response_format")
        }
        let minimum = model.constraintVocabulary.minimumTokens(grammar)
        guard budget >= minimum else {
            throw .invalid("max_tokens (\(budget) left for the answer) is below the \(minimum) tokens the schema's shortest output takes", param: "max_tokens")
        }
        return OutputConstraint(grammar: grammar, vocabulary: model.constraintVocabulary)
    }

    /// Runs the generation; a client whose connection closes ends it before the next pass. A stream's response
    /// head goes out with the first token, so a proxy in front can still retry elsewhere if this worker dies
    /// before then.
    private func generate(
        _ parameters: CompletionParameters, prompt: [Int], chat: WorkerModels.Chat, adapter: ServedAdapter?, shape: CompletionShape,
        context: WorkerRequestContext
    ) async throws -> Response {
        let submission: BatchScheduler.Submission
        var request = parameters.request(prompt: prompt)
        request.adapter = adapter
        if let schema = parameters.schema {
            request.constraint = try Self.constraint(schema, model: chat.model, budget: min(request.maxTokens, chat.model.configuration.context - prompt.count))
        }
        do {
            submission = try chat.scheduler.submit(request)
        } catch {
            throw OpenAIError.rejected(error)
        }
        context.channel.closeFuture.whenComplete { _ in submission.cancel() }
        let started = ContinuousClock.now
        let cursor = EventCursor(submission.events)
        let record: @Sendable (GenerationSummary) -> Void = { summary in
            metrics.generated(model: chat.name, promptTokens: summary.promptTokens, completionTokens: summary.tokens.count, finish: summary.finish.rawValue)
        }
        guard parameters.stream else {
            while let event = await cursor.next() {
                if case .finished(let summary) = event {
                    record(summary)
                    return WorkerJSON.response(shape.whole(summary))
                }
            }
            throw OpenAIError(status: .serviceUnavailable, message: "the generation ended without a result", type: "server_error", param: nil, code: nil)
        }
        let first = await cursor.next()
        metrics.firstToken(model: chat.name, after: .now - started)
        let includeUsage = parameters.includeUsage
        let body = ResponseBody { writer in
            do {
                if let opening = shape.opening { try await writer.write(Self.frame(opening)) }
                var event = first
                while let current = event {
                    switch current {
                    case .text(let text):
                        // A tool-calling reply is JSON for the worker to read, sent once it is whole.
                        if shape.tools == nil { try await writer.write(Self.frame(shape.delta(text))) }
                    case .finished(let summary):
                        record(summary)
                        // A tool-calling reply is read once: its delta and its finish reason say the same.
                        let reply = shape.tools?.reply(summary.text)
                        if shape.tools != nil { try await writer.write(Self.frame(shape.toolDelta(summary, reply))) }
                        try await writer.write(Self.frame(shape.closing(summary, reply: reply)))
                        if includeUsage { try await writer.write(Self.frame(shape.usageChunk(summary))) }
                    }
                    event = await cursor.next()
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            } catch {
                // The client went away: free its place in the batch now.
                submission.cancel()
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static func frame(_ value: Value) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(JSONWriter.bytes(value, sortKeys: false))
        buffer.writeString("\n\n")
        return buffer
    }
}

/// One generation's events, read first by the handler (to hold the response head until the first token) and then
/// by the response body; never by both at once.
final class EventCursor: @unchecked Sendable {
    // The iterator is used by one task at a time: the handler, then the body writer it hands over to.
    private var iterator: AsyncStream<BatchScheduler.Event>.Iterator

    init(_ events: AsyncStream<BatchScheduler.Event>) {
        iterator = events.makeAsyncIterator()
    }

    func next() async -> BatchScheduler.Event? {
        await iterator.next()
    }
}
