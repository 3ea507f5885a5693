/// Loom's variables and templates in Dify's terms: selectors `[node, var]` and text with `{{#node.var#}}`.
extension DifyExportSession {
    /// A variable path as a Dify selector.
    func selector(_ path: VariablePath) -> [String] {
        var segments = path.segments
        switch path.root {
        case VariableNamespace.inputs:
            segments[0] = startId
        case VariableNamespace.sys:
            let names = ["run_id": "workflow_run_id", "user": "user_id", "app": "app_id"]
            if segments.count > 1 {
                if segments[1] == "timestamp" { note(nil, "sys.timestamp has no Dify equivalent; kept as written") }
                segments[1] = names[segments[1]] ?? segments[1]
            }
        case VariableNamespace.env, VariableNamespace.conversation:
            break
        default:
            segments[0] = difyId(path.root)
            if groupedAggregators.contains(path.root), segments.count >= 2 { segments.insert("output", at: 2) }
            if segments.count >= 2, segments[1] == "structured", structuredOutputs.contains(path.root) { segments[1] = "structured_output" }
        }
        return segments
    }

    func selectorValue(_ path: VariablePath) -> Value {
        .array(selector(path).map(Value.string))
    }

    /// A Loom template as Dify text: variable tags become `{{#node.var#}}`. Mustache sections have no Dify form:
    /// they are kept as written, with a note.
    func text(_ template: Template, node: String?) -> String {
        text(template.source, node: node)
    }

    func text(_ source: String, node: String?) -> String {
        var result = ""
        var rest = Substring(source)
        var kept = false
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            let triple = rest[open.upperBound...].hasPrefix("{")
            let closing = triple ? "}}}" : "}}"
            let contentStart = triple ? rest.index(after: open.upperBound) : open.upperBound
            guard let close = rest[contentStart...].range(of: closing) else {
                rest = rest[open.lowerBound...]
                break
            }
            var content = rest[contentStart..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if content.hasPrefix("&") { content = String(content.dropFirst()).trimmingCharacters(in: .whitespaces) }
            if content.count > 2, content.hasPrefix("#"), content.hasSuffix("#") { content = String(content.dropFirst().dropLast()) }
            if let path = VariablePath(parsing: content) {
                result += "{{#" + selector(path).joined(separator: ".") + "#}}"
            } else {
                result += rest[open.lowerBound..<close.upperBound]
                kept = true
            }
            rest = rest[close.upperBound...]
        }
        if kept { note(node, "Mustache sections have no Dify equivalent: kept as written, which Dify shows as text") }
        return result + rest
    }

    /// A value for a Dify field that takes text: a template's Dify text, a literal's text.
    func text(_ value: ValueTemplate, node: String?) -> String {
        switch value {
        case .template(let template): return text(template, node: node)
        case .literal(let literal): return literal.text
        case .array, .object: return JSONWriter.string(literalValue(value, node: node))
        }
    }

    /// Structured data with each template as Dify text.
    func literalValue(_ value: ValueTemplate, node: String?) -> Value {
        switch value {
        case .literal(let literal): return literal
        case .template(let template): return .string(text(template, node: node))
        case .array(let items): return .array(items.map { literalValue($0, node: node) })
        case .object(let fields): return .object(fields.mapValues { literalValue($0, node: node) })
        }
    }

    /// The variable a field reads, for Dify fields that take a selector; other templates are reported.
    func selectorValue(_ template: Template, node: String, field: String) -> Value {
        if let path = template.singleReference { return selectorValue(path) }
        if let first = template.references.first?.path {
            note(node, "'\(field)' is a template; Dify reads one variable there: exported as \(first)")
            return selectorValue(first)
        }
        note(node, "'\(field)' is fixed text; Dify reads a variable there: left empty")
        return []
    }

    // MARK: Conditions

    static let operators: [ConditionOperator: String] = [
        .notContains: "not contains", .startsWith: "start with", .endsWith: "end with", .isNot: "is not", .notEmpty: "not empty",
        .notIn: "not in", .allOf: "all of", .notEqual: "≠", .greaterOrEqual: "≥", .lessOrEqual: "≤", .notNull: "not null",
        .notExists: "not exists",
    ]

    /// A condition as Dify's `logical_operator` and flat list; deeper nesting is flattened with a note.
    func conditions(_ condition: Condition, node: String) -> (logical: String, conditions: [Value]) {
        var logical = "and"
        var comparisons: [Condition] = []
        switch condition {
        case .compare, .items: comparisons = [condition]
        case .all(let items): comparisons = items
        case .any(let items):
            logical = "or"
            comparisons = items
        }
        // Dify keeps a list operand (`in`, `all of`) as a list of strings, anything else as text.
        let operand = { (value: ValueTemplate?) -> Value in
            switch value {
            case nil: return ""
            case .literal(.array(let items))?: return .array(items.map { .string($0.text) })
            case .array(let items)?: return .array(items.map { .string(self.text($0, node: node)) })
            case let other?: return .string(self.text(other, node: node))
            }
        }
        var result: [Value] = []
        for (index, comparison) in comparisons.enumerated() {
            switch comparison {
            case .compare(let variable, let op, let value):
                result.append([
                    "id": .string("\(node)-\(index)"), "varType": "string", "variable_selector": selectorValue(variable),
                    "comparison_operator": .string(Self.operators[op] ?? op.rawValue), "value": operand(value),
                ])
            case .items(let variable, let key, let op, let value):
                // Dify compares the attributes of a list's files through a sub-condition.
                let sub: Value = [
                    "id": .string("\(node)-\(index)-key"), "key": .string(key.joined(separator: ".")),
                    "comparison_operator": .string(Self.operators[op] ?? op.rawValue), "value": operand(value),
                ]
                result.append([
                    "id": .string("\(node)-\(index)"), "varType": "array[file]", "variable_selector": selectorValue(variable),
                    "comparison_operator": op.isNegative ? "not contains" : "contains", "value": "",
                    "sub_variable_condition": ["case_id": .string("\(node)-\(index)-sub"), "logical_operator": "and", "conditions": [sub]],
                ])
            case .all, .any:
                note(node, "a nested all/any condition has no Dify form: its comparisons were joined with '\(logical)'")
                result += conditions(comparison, node: node).conditions
            }
        }
        return (logical, result)
    }
}
