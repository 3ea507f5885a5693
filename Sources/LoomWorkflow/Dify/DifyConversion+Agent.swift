extension DifyConversion {
    /// Dify's agent node (a plugin strategy, `function_calling` or `ReAct`, over a model and tools) as Loom's agent,
    /// which loops the same way. It maps only when every enabled tool has a Loom equivalent: an agent missing a tool
    /// it was built around would answer differently.
    func agent(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        let parameters = node.data["agent_parameters"]?.objectValue ?? [:]
        let value = { (name: String) in parameters[name]?.objectValue?["value"] }
        let strategy = node.data["agent_strategy_name"]?.stringValue ?? ""
        guard ["function_calling", "ReAct"].contains(strategy) else {
            return .unmapped("agent strategy '\(strategy)' has no Loom equivalent; Loom's agent calls tools as function_calling and ReAct do")
        }
        var tools: [String] = []
        for item in value("tools")?.arrayValue ?? [] {
            guard let tool = item.objectValue, tool["enabled"]?.boolValue != false else { continue }
            let provider = tool["provider_name"]?.stringValue ?? "?"
            let name = tool["tool_name"]?.stringValue ?? "?"
            guard let loomTool = DifyBuiltInTool.loom(provider: provider, name: name) else {
                return .unmapped("the agent's " + DifyBuiltInTool.noEquivalent(provider: provider, name: name))
            }
            if let settings = tool["settings"]?.objectValue, !settings.isEmpty {
                report.notes.append(.init(
                    nodeId: node.id, message: "the settings of the agent's tool \(name) (\(settings.keys.sorted().joined(separator: ", "))) are left to the model"))
            }
            if !tools.contains(loomTool) { tools.append(loomTool) }
        }
        guard !tools.isEmpty else { return .unmapped("the agent has no enabled tool; Loom's agent needs at least one") }
        var fields = modelFields(node, model: value("model")?.objectValue, builder)
        if let instruction = value("instruction")?.stringValue, !instruction.isEmpty { fields.append(("instructions", builder.text(text(instruction)))) }
        fields.append(("query", builder.text(text(value("query")?.stringValue ?? "{{#sys.query#}}"))))
        fields.append(("tools", builder.list(tools.map { builder.text($0) })))
        if let rounds = value("maximum_iterations")?.numberValue { fields.append(("max_iterations", builder.value(.int(min(max(Int(rounds), 1), 50))))) }
        if chat, let window = node.data["memory"]?.objectValue?["window"]?.objectValue, window["enabled"]?.boolValue == true {
            fields.append(("memory", builder.mapping([("window", builder.value(.int(min(max(Int(window["size"]?.numberValue ?? 10), 1), 100))))])))
        }
        return .node(type: AgentNode.typeName, fields: fields)
    }
}
