/// Joins branches: `output` is the first of `variables` that is not null; with `groups`, one output per group.
public struct VariableAggregatorNode: WorkflowNode {
    public static let typeName = "variable-aggregator"
    public static let configKeys = ["variables", "groups"]
    public static let runsInstantly = true

    public let groups: [(name: String, variables: [VariablePath])]

    public static func decode(_ reader: NodeReader) -> VariableAggregatorNode? {
        var groups: [(String, [VariablePath])] = []
        if let node = reader.node("variables"), let list = references(node, reader) {
            groups.append(("output", list))
        }
        if let node = reader.node("groups"), let entries = reader.mapping(node, what: "'groups'") {
            for entry in entries {
                if let list = references(entry.value, reader) { groups.append((entry.key, list)) }
            }
        }
        guard !groups.isEmpty else {
            reader.error("a variable-aggregator needs 'variables' (a list) or 'groups' (name: list)")
            return nil
        }
        return VariableAggregatorNode(groups: groups)
    }

    private static func references(_ node: SourceNode, _ reader: NodeReader) -> [VariablePath]? {
        guard let items = reader.list(node, what: "the variables to aggregate") else { return nil }
        let paths = items.compactMap { reader.reference($0, what: "a variable to aggregate") }
        return paths.count == items.count ? paths : nil
    }

    public var outputNames: [String]? { groups.map(\.name) }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        var outputs: [String: Value] = [:]
        for group in groups {
            outputs[group.name] = group.variables.lazy.compactMap { context.pool.value(at: $0) }.first { !$0.isNull } ?? .null
        }
        return NodeResult(outputs: outputs)
    }
}
