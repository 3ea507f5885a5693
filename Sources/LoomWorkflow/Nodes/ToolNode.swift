/// Calls a registered tool with arguments built from templates. Outputs `output` (the tool's result) and `text`.
public struct ToolNode: WorkflowNode {
    public static let typeName = "tool"
    public static let configKeys = ["tool", "arguments"]

    public let tool: any Tool
    public let arguments: [String: ValueTemplate]

    public static func decode(_ reader: NodeReader) -> ToolNode? {
        guard let name = reader.string("tool", required: true) else { return nil }
        guard let tool = reader.tools.tool(named: name) else {
            reader.error("unknown tool '\(name)'; available: \(reader.tools.names.joined(separator: ", "))", at: reader.node("tool")?.location)
            return nil
        }
        var arguments: [String: ValueTemplate] = [:]
        if let node = reader.node("arguments"), let entries = reader.mapping(node, what: "'arguments'") {
            for entry in entries {
                guard tool.parameters.contains(where: { $0.name == entry.key }) else {
                    reader.error("tool '\(name)' has no parameter '\(entry.key)'; its parameters: \(tool.parameters.map(\.name).joined(separator: ", "))", at: entry.keyLocation)
                    continue
                }
                if let value = reader.valueTemplate(entry.value, what: "argument '\(entry.key)'") { arguments[entry.key] = value }
            }
        }
        for parameter in tool.parameters where parameter.required && arguments[parameter.name] == nil {
            reader.error("tool '\(name)' needs argument '\(parameter.name)' (\(parameter.kind.rawValue)): \(parameter.description)")
        }
        return ToolNode(tool: tool, arguments: arguments)
    }

    public var outputNames: [String]? { ["output", "text"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        var values: [String: Value] = [:]
        for parameter in tool.parameters {
            guard let template = arguments[parameter.name] else { continue }
            let value = template.evaluate(context.pool)
            if value.isNull, !parameter.required { continue }
            do {
                values[parameter.name] = try parameter.coerce(value)
            } catch {
                throw NodeError.tool(name: tool.name, message: error.description)
            }
        }
        let output: Value
        do {
            output = try await tool.call(values)
        } catch let error as ToolError {
            throw NodeError.tool(name: tool.name, message: error.description)
        }
        return NodeResult(outputs: ["output": output, "text": .string(output.text)], inputs: values)
    }
}
