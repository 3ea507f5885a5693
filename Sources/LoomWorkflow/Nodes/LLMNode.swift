/// Calls a chat model with role messages built from templates. Outputs `text`, `usage` and `finish_reason`; with
/// `output_schema` (a JSON Schema) the reply is JSON the schema accepts, parsed as output `structured`.
public struct LLMNode: WorkflowNode {
    public static let typeName = "llm"
    public static let configKeys = ModelSettings.keys + ["messages", "prompt", "system", "memory", "output_schema"]

    public let settings: ModelSettings
    public let messages: [(role: ChatMessage.Role, template: Template)]
    /// Conversation turns (a user message and its answer) placed after the system messages; 0 for none.
    public let memoryTurns: Int
    public let outputSchema: Value?

    public static func decode(_ reader: NodeReader) -> LLMNode? {
        let settings = ModelSettings.read(reader)
        var messages: [(ChatMessage.Role, Template)] = []
        if let system = reader.template("system") { messages.append((.system, system)) }
        if let node = reader.node("messages"), let items = reader.list(node, what: "'messages'") {
            for item in items {
                if let message = reader.chatMessage(item) { messages.append(message) }
            }
        }
        if let prompt = reader.template("prompt") { messages.append((.user, prompt)) }
        guard messages.contains(where: { $0.0 != .system }) else {
            reader.error("an llm node needs 'messages' (a list of {system|user|assistant: text}) or a 'prompt'")
            return nil
        }
        let memoryTurns = reader.memoryTurns()
        var outputSchema: Value?
        if let node = reader.node("output_schema") {
            guard case .mapping = node.kind else {
                reader.error("'output_schema' must be a JSON Schema (a mapping such as {type: object, properties: {…}})", at: node.location)
                return nil
            }
            outputSchema = node.value
        }
        return LLMNode(settings: settings, messages: messages, memoryTurns: memoryTurns, outputSchema: outputSchema)
    }

    public var outputNames: [String]? { ["text", "usage", "finish_reason"] + (outputSchema == nil ? [] : ["structured"]) }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        let provider = try context.services.requireModels()
        var rendered = messages.map { ChatMessage($0.role, $0.template.render(context.pool)) }
        if memoryTurns > 0 {
            let earlier = context.run.history.suffix(memoryTurns * 2)
            rendered.insert(contentsOf: earlier, at: rendered.firstIndex { $0.role != .system } ?? rendered.endIndex)
        }
        var request = settings.request(rendered)
        if let outputSchema {
            request.outputSchema = outputSchema
            // The schema in the prompt too: constraint guarantees the form, but the model writes better content
            // when it knows what each field is for.
            request.messages = Self.describing(outputSchema, in: request.messages)
        }
        let completion = try await provider.chat(request) { text in
            context.partialText(text, output: "text")
        }
        var outputs: [String: Value] = ["text": .string(completion.text), "usage": completion.usage.value, "finish_reason": .string(completion.finishReason)]
        if outputSchema != nil {
            guard let parsed = try? JSONDocumentReader.parse(completion.text).value else {
                throw NodeError.failed(type: "output_not_json", message: "the model's reply is not the JSON output_schema asks for: \(completion.text.prefix(200))")
            }
            outputs["structured"] = parsed
        }
        return NodeResult(outputs: outputs, inputs: ["model": .string(settings.model), "messages": request.messages.value], usage: completion.usage)
    }

    /// The messages with the schema stated in the system message (added when there is none).
    static func describing(_ schema: Value, in messages: [ChatMessage]) -> [ChatMessage] {
        let instruction = "Reply with only a JSON value that satisfies this JSON Schema:\n" + JSONWriter.string(schema)
        var messages = messages
        if let index = messages.firstIndex(where: { $0.role == .system }) {
            messages[index].content += "\n\n" + instruction
        } else {
            messages.insert(ChatMessage(.system, instruction), at: 0)
        }
        return messages
    }
}
