/// Names the run's outputs. A value that is a single variable keeps that variable's type.
public struct EndNode: WorkflowNode {
    public static let typeName = "end"
    public static let configKeys = ["outputs"]
    public static let runsInstantly = true

    public let outputs: [(name: String, value: ValueTemplate)]

    public static func decode(_ reader: NodeReader) -> EndNode? {
        guard let node = reader.node("outputs") else { return EndNode(outputs: []) }
        guard let entries = reader.mapping(node, what: "'outputs'") else { return nil }
        var outputs: [(String, ValueTemplate)] = []
        for entry in entries {
            guard let value = reader.valueTemplate(entry.value, what: "output '\(entry.key)'") else { continue }
            outputs.append((entry.key, value))
        }
        return EndNode(outputs: outputs)
    }

    public var outputNames: [String]? { outputs.map(\.name) }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        var values: [String: Value] = [:]
        for output in outputs { values[output.name] = output.value.evaluate(context.pool) }
        return NodeResult(outputs: values)
    }
}
