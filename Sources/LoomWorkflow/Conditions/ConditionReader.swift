/// Reads `when:` expressions: `{var, op, value}` (with `key`, a comparison on a field of each item of the list `var`),
/// `{all: […]}`, `{any: […]}`, or a list (all must hold).
enum ConditionReader {
    static func read(_ node: SourceNode, _ reader: NodeReader) -> Condition? {
        switch node.kind {
        case .sequence(let items):
            let conditions = items.compactMap { read($0, reader) }
            return conditions.count == items.count ? .all(conditions) : nil
        case .mapping(let entries):
            if entries.count == 1, entries[0].key == "all" || entries[0].key == "any" {
                guard let items = reader.list(entries[0].value, what: "'\(entries[0].key)'") else { return nil }
                guard !items.isEmpty else {
                    reader.error("'\(entries[0].key)' needs at least one condition", at: entries[0].value.location)
                    return nil
                }
                let conditions = items.compactMap { read($0, reader) }
                guard conditions.count == items.count else { return nil }
                return entries[0].key == "all" ? .all(conditions) : .any(conditions)
            }
            return comparison(node, reader)
        case .scalar:
            reader.error("a condition must be {var, op, value}, {all: […]} or {any: […]}", at: node.location)
            return nil
        }
    }

    private static func comparison(_ node: SourceNode, _ reader: NodeReader) -> Condition? {
        guard let fields = reader.mapping(node, what: "a condition", allowed: ["var", "key", "op", "value"]) else { return nil }
        guard let variableNode = fields["var"], let opNode = fields["op"] else {
            reader.error("a condition needs 'var' and 'op' (or 'all' / 'any' with a list of conditions)", at: node.location)
            return nil
        }
        guard let variable = reader.reference(variableNode, what: "'var'") else { return nil }
        guard let opName = reader.string(opNode, what: "'op'") else { return nil }
        guard let op = ConditionOperator(name: opName) else {
            reader.error("unknown operator '\(opName)'; known: \(ConditionOperator.allCases.map(\.rawValue).joined(separator: ", "))", at: opNode.location)
            return nil
        }
        var value: ValueTemplate?
        if let valueNode = fields["value"] {
            if op.isUnary {
                reader.error("operator '\(opName)' takes no 'value'", at: valueNode.location)
                return nil
            }
            guard let parsed = reader.valueTemplate(valueNode, what: "'value'") else { return nil }
            value = parsed
        } else if !op.isUnary {
            reader.error("operator '\(opName)' needs a 'value'", at: node.location)
            return nil
        }
        if let keyNode = fields["key"] {
            guard let key = reader.string(keyNode, what: "'key'"), !key.isEmpty else {
                reader.error("'key' must name a field of the list's items, such as type or size", at: keyNode.location)
                return nil
            }
            return .items(variable: variable, key: key.split(separator: ".").map(String.init), op: op, value: value)
        }
        return .compare(variable: variable, op: op, value: value)
    }
}
