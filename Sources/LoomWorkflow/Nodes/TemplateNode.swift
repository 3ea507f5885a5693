/// Renders a template into `output`: Mustache over the run's variables, or (`syntax: jinja2`, as Dify's
/// template-transform) Jinja2 over the named `variables`.
public struct TemplateNode: WorkflowNode {
    public static let typeName = "template"
    public static let configKeys = ["template", "syntax", "variables"]
    public static let runsInstantly = true

    public enum Body: Sendable {
        case mustache(Template)
        case jinja(JinjaTemplate, variables: [(name: String, path: VariablePath)])
    }

    public let body: Body

    public static func decode(_ reader: NodeReader) -> TemplateNode? {
        let syntax = reader.string("syntax") ?? "mustache"
        switch syntax {
        case "mustache":
            if reader.has("variables") { reader.error("'variables' names the variables of a jinja2 template; add syntax: jinja2", at: reader.node("variables")?.location) }
            return reader.template("template", required: true).map { TemplateNode(body: .mustache($0)) }
        case "jinja2":
            var variables: [(String, VariablePath)] = []
            if let node = reader.node("variables"), let entries = reader.mapping(node, what: "'variables'") {
                for entry in entries {
                    if let path = reader.reference(entry.value, what: "variable '\(entry.key)'") { variables.append((entry.key, path)) }
                }
            }
            guard let node = reader.node("template", required: true), let source = reader.string(node, what: "'template'") else { return nil }
            do {
                return TemplateNode(body: .jinja(try JinjaTemplate(source), variables: variables))
            } catch {
                reader.error("Jinja2 template, \(error)", at: node.location)
                return nil
            }
        default:
            reader.error("unknown template syntax '\(syntax)'; use mustache or jinja2", at: reader.node("syntax")?.location)
            return nil
        }
    }

    public var outputNames: [String]? { ["output"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        switch body {
        case .mustache(let template):
            return NodeResult(outputs: ["output": .string(template.render(context.pool))])
        case .jinja(let template, let variables):
            var values: [String: Value] = [:]
            for variable in variables { values[variable.name] = context.pool.value(at: variable.path) ?? .null }
            do {
                return NodeResult(outputs: ["output": .string(try template.render(values))], inputs: values)
            } catch {
                throw NodeError.invalidValue("Jinja2 template: \(error.message)")
            }
        }
    }
}
