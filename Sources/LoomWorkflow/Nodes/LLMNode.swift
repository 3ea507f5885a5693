/// Calls a chat model with role messages built from templates. Outputs `text`, `usage` and `finish_reason`.
public struct LLMNode: WorkflowNode {
    public static let typeName = "llm"
    public static let configKeys = ModelSettings.keys + ["messages", "prompt", "system", "memory"]

    public let settings: ModelSettings
    public let messages: [(role: ChatMessage.Role, template: Template)]
    /// Conversation turns (a user message and its answer) placed after the system messages; 0 for none.
    public let memoryTurns: Int

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
        var memoryTurns = 0
        if let memory = reader.node("memory"), let fields = reader.mapping(memory, what: "'memory'", allowed: ["window"]) {
            memoryTurns = fields["window"].flatMap { reader.number($0, what: "'memory.window'", in: 1...100) }.map { Int($0) } ?? 10
        }
        return LLMNode(settings: settings, messages: messages, memoryTurns: memoryTurns)
    }

    public var outputNames: [String]? { ["text", "usage", "finish_reason"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        let provider = try context.services.requireModels()
        var rendered = messages.map { ChatMessage($0.role, $0.template.render(context.pool)) }
        if memoryTurns > 0 {
            let earlier = context.run.history.suffix(memoryTurns * 2)
            rendered.insert(contentsOf: earlier, at: rendered.firstIndex { $0.role != .system } ?? rendered.endIndex)
        }
        let completion = try await provider.chat(settings.request(rendered)) { text in
            context.partialText(text, output: "text")
        }
        return NodeResult(
            outputs: ["text": .string(completion.text), "usage": completion.usage.value, "finish_reason": .string(completion.finishReason)],
            inputs: ["model": .string(settings.model), "messages": rendered.value], usage: completion.usage)
    }
}
