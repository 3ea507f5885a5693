/// Renders chat messages into the prompt the model was trained on. Loom understands ChatML (what SmolLM2's GGUF
/// template produces), including its default system message.
public struct ChatTemplate: Sendable {
    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// Used when the conversation does not start with a system message.
    public var defaultSystem: String?

    public init(defaultSystem: String? = nil) {
        self.defaultSystem = defaultSystem
    }

    /// Reads the default system message out of a ChatML Jinja template (the text between
    /// `<|im_start|>system\n` and `<|im_end|>` in its first-message branch); nil for other templates.
    public init?(jinja: String) {
        guard jinja.contains("<|im_start|>") else { return nil }
        if let start = jinja.range(of: "<|im_start|>system\n"), let end = jinja.range(of: "<|im_end|>", range: start.upperBound..<jinja.endIndex) {
            let text = String(jinja[start.upperBound..<end.lowerBound])
            self.init(defaultSystem: text.contains("{{") ? nil : text)
        } else {
            self.init(defaultSystem: nil)
        }
    }

    public func render(_ messages: [Message], addGenerationPrompt: Bool = true) -> String {
        var prompt = ""
        if let defaultSystem, messages.first?.role != "system" {
            prompt += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
        }
        for message in messages {
            prompt += "<|im_start|>\(message.role)\n\(message.content)<|im_end|>\n"
        }
        if addGenerationPrompt { prompt += "<|im_start|>assistant\n" }
        return prompt
    }
}
