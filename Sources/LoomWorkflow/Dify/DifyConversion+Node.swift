extension DifyConversion {
    /// What one Dify node becomes: a Loom node type and its settings (and the edge handles those settings already
    /// place), or the reason it has no Loom equivalent.
    enum Mapping {
        case node(type: String, fields: [(String, SourceNode?)], handles: Set<String> = [])
        case unmapped(String)
    }

    func convertNode(_ node: Node) -> SourceNode {
        let builder = SourceBuilder(location: node.location)
        var entries: [(String, SourceNode?)] = [("id", builder.text(node.id))]
        if let title = node.title, !title.isEmpty { entries.append(("title", builder.text(title))) }
        var placed: Set<String> = [EdgeHandle.source, EdgeHandle.failBranch]
        var next = targets(of: node, handle: EdgeHandle.source)
        switch map(node, builder) {
        case .node(let type, let fields, let handles):
            report.mapped[node.type, default: 0] += 1
            entries.append(("type", builder.text(type)))
            entries += fields
            placed.formUnion(handles)
        case .unmapped(let reason):
            report.unmapped.append(.init(nodeId: node.id, difyType: node.type, reason: reason))
            entries += [("type", builder.text(UnsupportedNode.typeName)), ("dify_type", builder.text(node.type)), ("reason", builder.text(reason))]
            // Whatever the node would have chosen, its successors wait for it.
            next = targets(targetIds(of: node, handles: handles(of: node).subtracting([EdgeHandle.failBranch])), at: node.location)
            placed = handles(of: node)
        }
        entries.append(("next", next))
        entries += policy(of: node, builder)
        for handle in handles(of: node).subtracting(placed).sorted() {
            report.notes.append(.init(nodeId: node.id, message: "edges leaving through '\(handle)' have no matching branch in Loom; dropped"))
        }
        return builder.mapping(entries)
    }

    private func map(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        switch node.type {
        case "start": return .node(type: StartNode.typeName, fields: [])
        case "end": return end(node, builder)
        case "answer": return .node(type: AnswerNode.typeName, fields: [("answer", builder.text(text(node.data["answer"]?.stringValue ?? "")))])
        case "llm": return llm(node, builder)
        case "knowledge-retrieval": return knowledgeRetrieval(node, builder)
        case "if-else": return ifElse(node, builder)
        case "question-classifier": return questionClassifier(node, builder)
        case "parameter-extractor": return parameterExtractor(node, builder)
        case "template-transform": return templateTransform(node, builder)
        case "http-request": return httpRequest(node, builder)
        case "variable-aggregator", "variable-assigner": return variableAggregator(node, builder)
        case "iteration": return iteration(node, builder)
        case "code": return code(node, builder)
        case "tool": return tool(node, builder)
        case "agent": return agent(node, builder)
        case "assigner": return assigner(node, builder)
        case "loop": return loop(node, builder)
        case "loop-end": return .node(type: LoopBreakNode.typeName, fields: [])
        case "list-operator": return listOperator(node, builder)
        case "document-extractor": return documentExtractor(node, builder)
        default: return .unmapped("Dify node type '\(node.type)' has no Loom equivalent")
        }
    }

    /// `retry_config`, `error_strategy` and `default_value`, which every Dify node may carry.
    private func policy(of node: Node, _ builder: SourceBuilder) -> [(String, SourceNode?)] {
        var fields: [(String, SourceNode?)] = []
        if let retry = node.data["retry_config"]?.objectValue, retry["retry_enabled"]?.boolValue == true {
            let maxRetries = min(max(Int(retry["max_retries"]?.numberValue ?? 1), 0), 10)
            let interval = min(max(Int(retry["retry_interval"]?.numberValue ?? 1000), 0), 600_000)
            fields.append(("retry", builder.mapping([("max", builder.value(.int(maxRetries))), ("interval_ms", builder.value(.int(interval)))])))
        }
        switch node.data["error_strategy"]?.stringValue {
        case "fail-branch":
            fields.append(("on_error", builder.mapping([("branch", targets(of: node, handle: EdgeHandle.failBranch) ?? builder.list([]))])))
        case "default-value":
            var defaults: [(String, SourceNode?)] = []
            for item in node.data["default_value"]?.arrayValue ?? [] {
                guard let key = item.objectValue?["key"]?.stringValue else { continue }
                var value = item.objectValue?["value"] ?? .null
                // Dify keeps object and array defaults as JSON text.
                if let type = item.objectValue?["type"]?.stringValue, type == "object" || type.hasPrefix("array"), let text = value.stringValue,
                    let parsed = try? JSONDocumentReader.parse(text).value
                {
                    value = parsed
                }
                defaults.append((key, builder.value(value)))
            }
            fields.append(("on_error", builder.mapping([("default", builder.mapping(defaults))])))
        default:
            break
        }
        return fields
    }

    private func end(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        var outputs: [(String, SourceNode?)] = []
        for item in node.data["outputs"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let name = fields["variable"]?.stringValue, !name.isEmpty else { continue }
            outputs.append((name, builder.text(reference(fields["value_selector"]) ?? "")))
        }
        return .node(type: EndNode.typeName, fields: [("outputs", builder.mapping(outputs))])
    }

    private func variableAggregator(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        let references = { (list: Value?) in builder.list((list?.arrayValue ?? []).compactMap { self.path($0) }.map(builder.text)) }
        if groupedAggregators.contains(node.id) {
            let groups = (node.data["advanced_settings"]?.objectValue?["groups"]?.arrayValue ?? []).compactMap { group -> (String, SourceNode?)? in
                guard let fields = group.objectValue, let name = fields["group_name"]?.stringValue else { return nil }
                return (name, references(fields["variables"]))
            }
            return .node(type: VariableAggregatorNode.typeName, fields: [("groups", builder.mapping(groups))])
        }
        return .node(type: VariableAggregatorNode.typeName, fields: [("variables", references(node.data["variables"]))])
    }

    private func iteration(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        let children = graphNodes(parent: node.id, builder: builder)
        guard !children.items.isEmpty else { return .unmapped("the iteration has no nodes inside") }
        var fields: [(String, SourceNode?)] = [
            ("items", path(node.data["iterator_selector"]).map(builder.text)), ("nodes", children),
            ("output", path(node.data["output_selector"]).map(builder.text)),
        ]
        if node.data["is_parallel"]?.boolValue == true {
            fields.append(("parallel", builder.value(.int(min(max(Int(node.data["parallel_nums"]?.numberValue ?? 10), 1), 64)))))
        }
        if let mode = node.data["error_handle_mode"]?.stringValue, IterationNode.ErrorMode(rawValue: mode) != nil {
            fields.append(("error_mode", builder.text(mode)))
        }
        if let flatten = node.data["flatten_output"]?.boolValue { fields.append(("flatten", builder.value(.bool(flatten)))) }
        return .node(type: IterationNode.typeName, fields: fields)
    }

    private func code(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        let language = node.data["code_language"]?.stringValue ?? "python3"
        guard CodeLanguage(rawValue: language) != nil else { return .unmapped("code in '\(language)' is not supported; Loom runs python3 and javascript") }
        var inputs: [(String, SourceNode?)] = []
        for item in node.data["variables"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let name = fields["variable"]?.stringValue else { continue }
            inputs.append((name, reference(fields["value_selector"]).map(builder.text)))
        }
        var outputs: [(String, SourceNode?)] = []
        for (name, declaration) in (node.data["outputs"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            outputs.append((name, builder.text(declaration.objectValue?["type"]?.stringValue ?? "string")))
        }
        return .node(
            type: CodeNode.typeName,
            fields: [
                ("language", builder.text(language)), ("inputs", builder.mapping(inputs)), ("outputs", builder.mapping(outputs)),
                ("code", builder.text(node.data["code"]?.stringValue ?? "")),
            ])
    }

    private func tool(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        let provider = node.data["provider_id"]?.stringValue ?? node.data["provider_name"]?.stringValue ?? "?"
        let name = node.data["tool_name"]?.stringValue ?? "?"
        guard let loomTool = DifyBuiltInTool.loom(provider: provider, name: name) else {
            return .unmapped(DifyBuiltInTool.noEquivalent(provider: provider, name: name))
        }
        let parameters = node.data["tool_parameters"]?.objectValue ?? [:]
        var arguments: [(String, SourceNode?)] = []
        switch loomTool {
        case "web_page":
            guard let url = parameter(parameters["url"]) else { return .unmapped("the \(name) tool names no url") }
            arguments.append(("url", builder.text(url)))
            if name == "jina_reader" {
                report.notes.append(.init(nodeId: node.id, message: "Loom's web_page reads the page itself and gives its text, where Jina Reader gives Markdown"))
            }
        default:
            if let zone = parameter(parameters["timezone"]), !zone.isEmpty { arguments.append(("timezone", builder.text(zone))) }
            if let format = parameters["format"]?.objectValue?["value"]?.stringValue, !format.isEmpty {
                if let pattern = DifyTimeFormat.pattern(fromStrftime: format) {
                    arguments.append(("format", builder.text(pattern)))
                } else {
                    report.notes.append(.init(nodeId: node.id, message: "time format '\(format)' uses a directive Loom's patterns lack: ISO 8601 is used"))
                }
            }
        }
        return .node(type: ToolNode.typeName, fields: [("tool", builder.text(loomTool)), ("arguments", arguments.isEmpty ? nil : builder.mapping(arguments))])
    }

    /// A tool parameter as a Loom template: `{type: variable, value: [selector]}`, or text (`mixed`, `constant`)
    /// with its references rewritten.
    private func parameter(_ setting: Value?) -> String? {
        guard let setting = setting?.objectValue, let value = setting["value"], !value.isNull else { return nil }
        if setting["type"]?.stringValue == "variable" { return reference(value) }
        return text(value.text)
    }
}
