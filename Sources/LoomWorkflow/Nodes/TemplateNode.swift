/// Renders a Mustache template into `output`.
public struct TemplateNode: WorkflowNode {
    public static let typeName = "template"
    public static let configKeys = ["template"]
    public static let runsInstantly = true

    public let template: Template

    public static func decode(_ reader: NodeReader) -> TemplateNode? {
        reader.template("template", required: true).map(TemplateNode.init)
    }

    public var outputNames: [String]? { ["output"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        NodeResult(outputs: ["output": .string(template.render(context.pool))])
    }
}
