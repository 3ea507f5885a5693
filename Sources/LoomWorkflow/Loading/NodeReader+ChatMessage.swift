extension NodeReader {
    /// `{user: "…"}`, or `{role: user, content: "…"}` (Dify's `text` is read as content too).
    public func chatMessage(_ node: SourceNode) -> (role: ChatMessage.Role, template: Template)? {
        guard let entries = mapping(node, what: "a message") else { return nil }
        // Tool messages are what agents write as they run tools, not something a prompt holds.
        let writable = { (name: String) in ChatMessage.Role(rawValue: name).flatMap { $0 == .tool ? nil : $0 } }
        if entries.count == 1, let role = writable(entries[0].key) {
            return template(entries[0].value, what: "the \(role.rawValue) message").map { (role, $0) }
        }
        var fields: [String: SourceNode] = [:]
        for entry in entries { fields[entry.key] = entry.value }
        guard let roleNode = fields["role"], let roleName = string(roleNode, what: "'role'"),
            let role = writable(roleName), let content = fields["content"] ?? fields["text"], fields.count == 2
        else {
            error("a message is {system: text}, {user: text}, {assistant: text}, or {role, content}", at: node.location)
            return nil
        }
        return template(content, what: "the \(roleName) message").map { (role, $0) }
    }

    /// `memory: {window: N}`: earlier turns of the conversation a model sees (10 without a window); 0 without memory.
    public func memoryTurns() -> Int {
        guard let memory = node("memory"), let fields = mapping(memory, what: "'memory'", allowed: ["window"]) else { return 0 }
        return fields["window"].flatMap { number($0, what: "'memory.window'", in: 1...100) }.map { Int($0) } ?? 10
    }
}
