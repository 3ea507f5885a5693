/// Asks a model for typed parameters found in a text. Outputs each parameter, plus `__is_success` (1 or 0)
/// and `__reason` when something required is missing or unreadable.
public struct ParameterExtractorNode: WorkflowNode {
    public static let typeName = "parameter-extractor"
    public static let configKeys = ModelQuestion.keys + ["parameters"]

    public let question: ModelQuestion
    public let parameters: [ToolParameter]

    public static func decode(_ reader: NodeReader) -> ParameterExtractorNode? {
        let question = ModelQuestion.read(reader, maxTokens: 256)
        guard let node = reader.node("parameters", required: true), let items = reader.list(node, what: "'parameters'") else { return nil }
        var parameters: [ToolParameter] = []
        for item in items {
            guard let fields = reader.mapping(item, what: "a parameter", allowed: ["name", "type", "description", "required"]) else { continue }
            guard let name = fields["name"].flatMap({ reader.string($0, what: "parameter name") }), VariablePath.isName(name), !name.hasPrefix("__") else {
                reader.error("a parameter needs a 'name' of letters, digits and '_' (not starting with __)", at: item.location)
                continue
            }
            let typeName = fields["type"].flatMap { reader.string($0, what: "parameter type") } ?? "string"
            guard let kind = ToolParameter.Kind(rawValue: typeName.hasPrefix("array") ? "array" : typeName) else {
                reader.error("parameter '\(name)' has unknown type '\(typeName)'; use string, number, integer, boolean, array or object", at: fields["type"]?.location)
                continue
            }
            var required = false
            if let flag = fields["required"] {
                guard case .scalar(.bool(let value)) = flag.kind else {
                    reader.error("'required' must be true or false", at: flag.location)
                    continue
                }
                required = value
            }
            let description = fields["description"].flatMap { reader.string($0, what: "parameter description") } ?? ""
            parameters.append(ToolParameter(name, kind, required: required, description: description))
        }
        guard !parameters.isEmpty, let question else {
            if parameters.isEmpty { reader.error("'parameters' needs at least one parameter", at: node.location) }
            return nil
        }
        return ParameterExtractorNode(question: question, parameters: parameters)
    }

    public var outputNames: [String]? { parameters.map(\.name) + ["__is_success", "__reason", "usage"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        let fields = parameters.map { "- \($0.name) (\($0.kind.rawValue)\($0.required ? ", required" : "")): \($0.description)" }
        let answer = try await question.ask(
            """
            Extract these parameters from the user's text. Reply with one JSON object and nothing else, using the
            parameter names as keys and null for a value the text does not contain.
            Parameters:
            \(fields.joined(separator: "\n"))
            """, context, outputSchema: outputSchema)
        var outputs = extract(from: answer.completion.text)
        outputs["usage"] = answer.completion.usage.value
        return NodeResult(outputs: outputs, inputs: answer.inputs, usage: answer.completion.usage)
    }

    /// The reply's shape: every parameter present (OpenAI's strict mode asks for all in `required`), the optional
    /// ones possibly null.
    var outputSchema: Value {
        var properties: [String: Value] = [:]
        for parameter in parameters {
            let type = Value.string(parameter.kind.rawValue)
            properties[parameter.name] = ["type": parameter.required ? type : [type, "null"], "description": .string(parameter.description)]
        }
        return [
            "type": "object", "properties": .object(properties), "required": .array(parameters.map { .string($0.name) }),
            "additionalProperties": false,
        ]
    }

    /// Reads the first JSON object in the reply and converts each parameter to its type.
    func extract(from reply: String) -> [String: Value] {
        var outputs: [String: Value] = [:]
        for parameter in parameters { outputs[parameter.name] = .null }
        guard let object = JSONExtraction.firstObject(in: reply)?.objectValue else {
            outputs["__is_success"] = 0
            outputs["__reason"] = "the model's reply held no JSON object"
            return outputs
        }
        var problems: [String] = []
        for parameter in parameters {
            guard let raw = object[parameter.name], !raw.isNull else {
                if parameter.required { problems.append("missing required parameter '\(parameter.name)'") }
                continue
            }
            do {
                outputs[parameter.name] = try parameter.coerce(raw)
            } catch {
                problems.append(error.description)
            }
        }
        outputs["__is_success"] = problems.isEmpty ? 1 : 0
        outputs["__reason"] = problems.isEmpty ? .null : .string(problems.joined(separator: "; "))
        return outputs
    }
}
