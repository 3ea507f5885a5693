/// Dify's nodes that keep state — loops and their variables, assigners, conversation variables — and the list
/// operator.
extension DifyConversion {
    func loop(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        let children = graphNodes(parent: node.id, builder: builder)
        guard !children.items.isEmpty else { return .unmapped("the loop has no nodes inside") }
        var variables: [(String, SourceNode?)] = []
        for item in node.data["loop_variables"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let name = fields["label"]?.stringValue, !name.isEmpty else { continue }
            let typeName = fields["var_type"]?.stringValue ?? "string"
            guard let type = ValueType(name: typeName) else { return .unmapped("loop variable '\(name)' has type '\(typeName)', which Loom lacks") }
            var initial: SourceNode?
            if fields["value_type"]?.stringValue == "variable" {
                initial = reference(fields["value"]).map(builder.text)
            } else if let value = fields["value"], !value.isNull {
                // Dify's editor keeps constants as text; the loop reads them as the declared type.
                initial = value.stringValue.map { builder.text(text($0)) } ?? builder.value(value)
            }
            variables.append((name, builder.mapping([("type", builder.text(type.rawValue)), ("value", initial)])))
        }
        var conditions: [SourceNode] = []
        for condition in node.data["break_conditions"]?.arrayValue ?? [] {
            switch self.condition(condition.objectValue ?? [:], builder) {
            case .success(let mapped): conditions.append(mapped)
            case .failure(let reason): return .unmapped("break condition: \(reason.message)")
            }
        }
        let join = node.data["logical_operator"]?.stringValue == "or" ? "any" : "all"
        let rounds = Int(node.data["loop_count"]?.numberValue ?? 10)
        if rounds > LoopNode.roundLimit {
            report.notes.append(.init(nodeId: node.id, message: "loop_count \(rounds) is over Loom's limit of \(LoopNode.roundLimit) rounds; lowered"))
        }
        return .node(
            type: LoopNode.typeName,
            fields: [
                ("max_rounds", builder.value(.int(min(max(rounds, 1), LoopNode.roundLimit)))),
                ("variables", variables.isEmpty ? nil : builder.mapping(variables)),
                ("break_when", conditions.isEmpty ? nil : builder.mapping([(join, builder.list(conditions))])),
                ("nodes", children),
            ])
    }

    /// Version 1 writes one conversation variable from one selector; version 2 lists operations.
    func assigner(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        var items: [SourceNode] = []
        if let target = node.data["assigned_variable_selector"] {
            let mode = node.data["write_mode"]?.stringValue ?? "over-write"
            let value = mode == "clear" ? nil : reference(node.data["input_variable_selector"]).map(builder.text)
            items.append(assignment(target: target, operation: mode, value: value, builder))
        } else {
            for item in node.data["items"]?.arrayValue ?? [] {
                guard let fields = item.objectValue else { continue }
                let operation = fields["operation"]?.stringValue ?? "over-write"
                var value: SourceNode?
                if AssignerNode.Operation(rawValue: operation)?.takesValue ?? true {
                    if fields["input_type"]?.stringValue == "constant" {
                        value = (fields["value"] ?? .null).stringValue.map { builder.text(text($0)) } ?? builder.value(fields["value"] ?? .null)
                    } else {
                        value = reference(fields["value"]).map(builder.text)
                    }
                }
                items.append(assignment(target: fields["variable_selector"], operation: operation, value: value, builder))
            }
        }
        guard !items.isEmpty else { return .unmapped("the assigner assigns nothing") }
        return .node(type: AssignerNode.typeName, fields: [("assign", builder.list(items))])
    }

    private func assignment(target: Value?, operation: String, value: SourceNode?, _ builder: SourceBuilder) -> SourceNode {
        builder.mapping([
            ("variable", builder.text(path(target) ?? "")), ("operation", operation == "over-write" ? nil : builder.text(operation)),
            ("value", value),
        ])
    }

    func listOperator(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        let data = node.data
        var fields: [(String, SourceNode?)] = [("list", path(data["variable"]).map(builder.text))]
        if let filter = data["filter_by"]?.objectValue, filter["enabled"]?.boolValue == true {
            var conditions: [SourceNode] = []
            for condition in filter["conditions"]?.arrayValue ?? [] {
                guard let entries = condition.objectValue else { continue }
                let name = entries["comparison_operator"]?.stringValue ?? "contains"
                guard let op = ConditionOperator(name: name) else { return .unmapped("unknown filter operator '\(name)'") }
                let key = entries["key"]?.stringValue ?? ""
                var value: SourceNode?
                if !op.isUnary {
                    value = (entries["value"] ?? .null).stringValue.map { builder.text(text($0)) } ?? builder.value(entries["value"] ?? .null)
                }
                conditions.append(builder.mapping([("key", key.isEmpty ? nil : builder.text(key)), ("op", builder.text(op.rawValue)), ("value", value)]))
            }
            fields.append(("filter", builder.list(conditions)))
        }
        if let extract = data["extract_by"]?.objectValue, extract["enabled"]?.boolValue == true {
            fields.append(("extract", builder.text(text(extract["serial"]?.text ?? "1"))))
        }
        if let order = data["order_by"]?.objectValue, order["enabled"]?.boolValue == true {
            let key = order["key"]?.stringValue ?? ""
            let direction = order["value"]?.stringValue == "desc" ? "desc" : "asc"
            fields.append(("order", key.isEmpty ? builder.text(direction) : builder.mapping([("key", builder.text(key)), ("direction", builder.text(direction))])))
        }
        if let limit = data["limit"]?.objectValue, limit["enabled"]?.boolValue == true, let size = limit["size"]?.numberValue, size >= 1 {
            fields.append(("limit", builder.value(.int(Int(size)))))
        }
        return .node(type: ListOperatorNode.typeName, fields: fields)
    }

    /// Loom fetches the document a file variable names by URL (files given as `remote_url`, as Dify's API takes them).
    func documentExtractor(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        guard let file = path(node.data["variable_selector"]) else { return .unmapped("the document extractor names no file variable") }
        report.notes.append(.init(nodeId: node.id, message: "Loom fetches the document by its URL: pass files as {transfer_method: remote_url, url}"))
        return .node(type: DocumentExtractorNode.typeName, fields: [("file", builder.text(file))])
    }

    /// `conversation_variables` as Loom's declarations (chat apps only; Dify has them nowhere else).
    func conversationVariables(_ workflow: SourceNode?) -> SourceNode? {
        guard chat, let list = workflow?["conversation_variables"], !list.items.isEmpty else { return nil }
        let builder = SourceBuilder(location: list.location)
        var entries: [(String, SourceNode?)] = []
        for item in list.items {
            guard let fields = item.value.objectValue, let name = fields["name"]?.stringValue else { continue }
            let typeName = fields["value_type"]?.stringValue ?? "string"
            guard let type = ValueType(name: typeName) else {
                report.notes.append(.init(nodeId: nil, message: "conversation variable '\(name)' has type '\(typeName)', which Loom lacks; dropped"))
                continue
            }
            var value = fields["value"] ?? .null
            if let text = value.stringValue, type != .string { value = type.coerce(.string(text)) }
            let fits = !value.isNull && type.problem(with: value, limits: false) == nil
            let description = fields["description"]?.stringValue.flatMap { $0.isEmpty ? nil : builder.text($0) }
            entries.append((name, builder.mapping([("type", builder.text(type.rawValue)), ("default", fits ? builder.value(value) : nil), ("description", description)])))
        }
        return builder.mapping(entries)
    }
}
