extension DifyConversion {
    func ifElse(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        var difyCases = node.data["cases"]?.arrayValue ?? []
        // Before cases (DSL 0.1), an if-else had one condition list, taken through the handle 'true'.
        if difyCases.isEmpty, let conditions = node.data["conditions"] {
            difyCases = [["case_id": "true", "logical_operator": node.data["logical_operator"] ?? "and", "conditions": conditions]]
        }
        var cases: [SourceNode] = []
        var handles: Set<String> = ["false"]
        for item in difyCases {
            guard let fields = item.objectValue, let id = fields["case_id"]?.text else { continue }
            var conditions: [SourceNode] = []
            for condition in fields["conditions"]?.arrayValue ?? [] {
                switch self.condition(condition.objectValue ?? [:], builder) {
                case .success(let mapped): conditions.append(mapped)
                case .failure(let reason): return .unmapped(reason.message)
                }
            }
            guard !conditions.isEmpty else { return .unmapped("case '\(id)' has no conditions") }
            let join = fields["logical_operator"]?.stringValue == "or" ? "any" : "all"
            cases.append(
                builder.mapping([("id", builder.text(id)), ("when", builder.mapping([(join, builder.list(conditions))])), ("then", targets(of: node, handle: id))]))
            handles.insert(id)
        }
        guard !cases.isEmpty else { return .unmapped("the if-else has no cases") }
        return .node(type: IfElseNode.typeName, fields: [("cases", builder.list(cases)), ("else", targets(of: node, handle: "false"))], handles: handles)
    }

    struct UnmappedReason: Error {
        var message: String
    }

    func condition(_ fields: [String: Value], _ builder: SourceBuilder) -> Result<SourceNode, UnmappedReason> {
        let variable = path(fields["variable_selector"]) ?? (fields["variable_selector"]?.arrayValue == nil ? nil : "")
        guard let variable, !variable.isEmpty else { return .failure(UnmappedReason(message: "a condition names no variable")) }
        if let sub = fields["sub_variable_condition"]?.objectValue, let items = sub["conditions"]?.arrayValue, !items.isEmpty {
            // A condition on the attributes of a list's files: each sub-condition compares one attribute of every file.
            var mapped: [SourceNode] = []
            for item in items {
                var entries = item.objectValue ?? [:]
                let key = entries["key"]?.stringValue ?? ""
                guard !key.isEmpty else { return .failure(UnmappedReason(message: "a condition on a list's files names no attribute")) }
                if key == "extension", let value = entries["value"]?.stringValue, !value.isEmpty, !value.hasPrefix(".") { entries["value"] = .string("." + value) }
                switch comparison(variable: variable, key: key, entries, builder) {
                case .success(let node): mapped.append(node)
                case .failure(let reason): return .failure(reason)
                }
            }
            let join = sub["logical_operator"]?.stringValue == "or" ? "any" : "all"
            return .success(mapped.count == 1 ? mapped[0] : builder.mapping([(join, builder.list(mapped))]))
        }
        return comparison(variable: variable, key: nil, fields, builder)
    }

    private func comparison(variable: String, key: String?, _ fields: [String: Value], _ builder: SourceBuilder) -> Result<SourceNode, UnmappedReason> {
        let name = fields["comparison_operator"]?.stringValue ?? ""
        guard let op = ConditionOperator(name: name) else { return .failure(UnmappedReason(message: "unknown comparison operator '\(name)'")) }
        var entries: [(String, SourceNode?)] = [("var", builder.text(variable))]
        if let key { entries.append(("key", builder.text(key))) }
        entries.append(("op", builder.text(op.rawValue)))
        if !op.isUnary {
            let value: SourceNode
            switch fields["value"] ?? .string("") {
            case .string(let string): value = builder.text(text(string))
            case let other: value = builder.value(other)
            }
            entries.append(("value", value))
        }
        return .success(builder.mapping(entries))
    }

    func templateTransform(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        let source = node.data["template"]?.stringValue ?? ""
        do {
            _ = try JinjaTemplate(source)
        } catch {
            return .unmapped("its Jinja2 template uses what Loom's Jinja2 subset lacks: \(error.message)")
        }
        var variables: [(String, SourceNode?)] = []
        for item in node.data["variables"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let name = fields["variable"]?.stringValue else { continue }
            variables.append((name, path(fields["value_selector"]).map(builder.text)))
        }
        return .node(
            type: TemplateNode.typeName,
            fields: [("syntax", builder.text("jinja2")), ("variables", builder.mapping(variables)), ("template", builder.text(source))])
    }

    /// The start node's variables as Loom inputs.
    func inputs(of start: Node) -> SourceNode {
        let builder = SourceBuilder(location: start.location)
        var entries: [(String, SourceNode?)] = []
        for item in start.data["variables"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let name = fields["variable"]?.stringValue else { continue }
            let difyType = fields["type"]?.stringValue ?? "text-input"
            let kinds = [
                "text-input": "text", "paragraph": "paragraph", "select": "select", "number": "number", "checkbox": "boolean",
                "json_object": "json", "file": "json", "file-list": "json",
            ]
            guard let kind = kinds[difyType] else {
                report.notes.append(.init(nodeId: start.id, message: "input '\(name)' of type \(difyType) is read as text"))
                entries.append((name, builder.text("text")))
                continue
            }
            if difyType.hasPrefix("file") {
                report.notes.append(.init(nodeId: start.id, message: "input '\(name)' is a file in Dify; Loom takes it as JSON"))
            }
            var declaration: [(String, SourceNode?)] = [("type", builder.text(kind))]
            if fields["required"]?.boolValue == true { declaration.append(("required", builder.value(.bool(true)))) }
            if let length = fields["max_length"]?.numberValue, length > 0, kind == "text" || kind == "paragraph" {
                declaration.append(("max_length", builder.value(.int(Int(length)))))
            }
            if kind == "select", let options = fields["options"]?.arrayValue, !options.isEmpty {
                declaration.append(("options", builder.list(options.map { builder.text($0.text) })))
            }
            if let value = fields["default"], !value.isNull, value.stringValue != "" { declaration.append(("default", builder.value(value))) }
            if let label = fields["label"]?.stringValue, !label.isEmpty { declaration.append(("label", builder.text(label))) }
            entries.append((name, builder.mapping(declaration)))
        }
        return builder.mapping(entries)
    }

    /// `environment_variables` as Loom's `env`; Dify exports secrets without their values.
    func environment(_ workflow: SourceNode?) -> SourceNode? {
        guard let list = workflow?["environment_variables"], !list.items.isEmpty else { return nil }
        let builder = SourceBuilder(location: list.location)
        var entries: [(String, SourceNode?)] = []
        for item in list.items {
            guard let fields = item.value.objectValue, let name = fields["name"]?.stringValue else { continue }
            let secret = fields["value_type"]?.stringValue == "secret"
            let value = fields["value"].flatMap { $0.isNull ? nil : $0.text }
            entries.append((name, builder.mapping([("default", secret ? nil : value.map(builder.text)), ("secret", secret ? builder.value(.bool(true)) : nil)])))
        }
        return builder.mapping(entries)
    }
}
