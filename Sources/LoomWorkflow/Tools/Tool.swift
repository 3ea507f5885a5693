/// A callable tool with typed parameters. The tool node, and later agents, call tools through this protocol.
public protocol Tool: Sendable {
    var name: String { get }
    var description: String { get }
    var parameters: [ToolParameter] { get }
    func call(_ arguments: [String: Value]) async throws -> Value
}

extension Tool {
    /// The parameters as a JSON Schema: what models and MCP clients are shown.
    public var inputSchema: Value {
        var properties: [String: Value] = [:]
        for parameter in parameters {
            properties[parameter.name] = ["type": .string(parameter.kind.rawValue), "description": .string(parameter.description)]
        }
        return ["type": "object", "properties": .object(properties), "required": .array(parameters.filter(\.required).map { .string($0.name) }), "additionalProperties": false]
    }

    /// Calls the tool with arguments written as a JSON object (a model's tool call, `loom tools call --args`):
    /// each converted to its parameter's type, a missing required one an error.
    public func call(json: String) async throws -> Value {
        guard let arguments = (try? JSONDocumentReader.parse(json).value)?.objectValue else {
            throw ToolError.failed("the arguments are not a JSON object: \(json.prefix(200))")
        }
        var values: [String: Value] = [:]
        for parameter in parameters {
            guard let value = arguments[parameter.name], !value.isNull else {
                if parameter.required { throw ToolError.missingArgument(parameter.name) }
                continue
            }
            values[parameter.name] = try parameter.coerce(value)
        }
        return try await call(values)
    }
}

public struct ToolParameter: Sendable {
    public enum Kind: String, Sendable {
        case string, number, integer, boolean, array, object
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    public var description: String

    public init(_ name: String, _ kind: Kind, required: Bool = true, description: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.description = description
    }

    /// The parameters a JSON Schema object declares (an MCP tool's or a published app's inputs), by name; a type
    /// Loom has no kind for is read as a string.
    public static func list(schema: Value) -> [ToolParameter] {
        let required = Set((schema[path: ["required"]]?.arrayValue ?? []).compactMap(\.stringValue))
        return (schema[path: ["properties"]]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { property, definition in
            ToolParameter(
                property, definition[path: ["type"]]?.stringValue.flatMap(Kind.init(rawValue:)) ?? .string,
                required: required.contains(property), description: definition[path: ["description"]]?.stringValue ?? "")
        }
    }

    /// Converts an argument to the parameter's type; template output arrives as text, so numbers and booleans
    /// written as text are read.
    public func coerce(_ value: Value) throws(ToolError) -> Value {
        switch (kind, value) {
        case (.string, .string): return value
        case (.string, .int), (.string, .double), (.string, .bool): return .string(value.text)
        case (.number, .int), (.number, .double): return value
        case (.number, .string(let text)):
            if let number = Double(text.trimmingCharacters(in: .whitespaces)) { return .double(number) }
        case (.integer, .int): return value
        case (.integer, .double(let number)) where number == number.rounded(): return .int(Int(number))
        case (.integer, .string(let text)):
            if let number = Int(text.trimmingCharacters(in: .whitespaces)) { return .int(number) }
        case (.boolean, .bool): return value
        case (.boolean, .string(let text)):
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: break
            }
        case (.array, .array), (.object, .object): return value
        default: break
        }
        throw ToolError.invalidArgument(name, "expected \(kind.rawValue), got \(value.typeName) \(value.text.prefix(40))")
    }
}

public enum ToolError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalidArgument(String, String)
    case missingArgument(String)
    case failed(String)

    public var description: String {
        switch self {
        case .invalidArgument(let name, let message): return "argument '\(name)': \(message)"
        case .missingArgument(let name): return "argument '\(name)' is required"
        case .failed(let message): return message
        }
    }
}

/// The tools a workflow may call, by name.
public struct ToolRegistry: Sendable {
    private var tools: [String: any Tool]

    public init(_ tools: [any Tool] = []) {
        self.tools = Dictionary(tools.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    public static let builtIn = ToolRegistry([CalculatorTool(), CurrentTimeTool()])

    public func tool(named name: String) -> (any Tool)? { tools[name] }
    public var names: [String] { tools.keys.sorted() }
    /// Every tool, by name.
    public var all: [any Tool] { names.compactMap { tools[$0] } }

    public mutating func register(_ tool: any Tool) { tools[tool.name] = tool }
}
