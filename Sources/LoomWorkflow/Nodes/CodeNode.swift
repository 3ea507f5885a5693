/// Runs Python (or JavaScript) code in a sandbox: `main(...)` gets the declared `inputs` as keyword arguments and
/// returns a dict whose declared `outputs` are checked against their types and Dify's limits.
public struct CodeNode: WorkflowNode {
    public static let typeName = "code"
    public static let configKeys = ["language", "code", "inputs", "outputs"]

    public let language: CodeLanguage
    public let code: String
    public let inputs: [(name: String, value: ValueTemplate)]
    public let outputs: [(name: String, type: ValueType)]

    public static func decode(_ reader: NodeReader) -> CodeNode? {
        var language = CodeLanguage.python3
        if let name = reader.string("language") {
            if let known = CodeLanguage(rawValue: name) {
                language = known
            } else {
                reader.error("unknown language '\(name)'; use \(CodeLanguage.allCases.map(\.rawValue).joined(separator: " or "))", at: reader.node("language")?.location)
            }
        }
        let code = reader.string("code", required: true)
        // JavaScript may define main as a function, a const or an async function: only Python's is checked here.
        if let code, language == .python3, !code.contains("def main") {
            reader.error("the code must define main(...)", at: reader.node("code")?.location)
        }
        var inputs: [(String, ValueTemplate)] = []
        if let node = reader.node("inputs"), let entries = reader.mapping(node, what: "'inputs'") {
            for entry in entries {
                guard VariablePath.isName(entry.key), !entry.key.contains("-") else {
                    reader.error("'\(entry.key)' cannot be an argument name (letters, digits and '_')", at: entry.keyLocation)
                    continue
                }
                if let value = reader.valueTemplate(entry.value, what: "input '\(entry.key)'") { inputs.append((entry.key, value)) }
            }
        }
        var outputs: [(String, ValueType)] = []
        if let node = reader.node("outputs", required: true), let entries = reader.mapping(node, what: "'outputs'") {
            for entry in entries {
                guard let name = reader.string(entry.value, what: "the type of output '\(entry.key)'") else { continue }
                guard let type = ValueType(rawValue: name) else {
                    reader.error(
                        "output '\(entry.key)' has unknown type '\(name)'; use one of: \(ValueType.allCases.map(\.rawValue).joined(separator: ", "))",
                        at: entry.value.location)
                    continue
                }
                outputs.append((entry.key, type))
            }
        }
        guard let code else { return nil }
        return CodeNode(language: language, code: code, inputs: inputs, outputs: outputs)
    }

    public var outputNames: [String]? { outputs.map(\.name) }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        guard let runner = context.services.code else {
            throw NodeError.serviceUnavailable("code nodes cannot run in this process: no code sandbox is configured")
        }
        var arguments: [String: Value] = [:]
        for input in inputs { arguments[input.name] = input.value.evaluate(context.pool) }
        let result: Value
        do {
            result = try await runner.run(CodeProgram(language: language, code: code, inputs: arguments))
        } catch {
            throw NodeError.failed(type: "code_error", message: error.description)
        }
        guard let fields = result.objectValue else {
            throw NodeError.failed(type: "code_error", message: "main must return a dict, not \(result.typeName)")
        }
        var values: [String: Value] = [:]
        for output in outputs {
            guard let value = fields[output.name] else {
                throw NodeError.failed(type: "code_output_error", message: "main's result has no '\(output.name)' (declared as \(output.type.rawValue))")
            }
            if let problem = output.type.problem(with: value) {
                throw NodeError.failed(type: "code_output_error", message: "output '\(output.name)': \(problem)")
            }
            values[output.name] = value
        }
        return NodeResult(outputs: values, inputs: arguments)
    }
}
