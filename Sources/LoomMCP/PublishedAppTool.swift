import LoomWorkflow

/// A published Loom app as an MCP tool: named by its slug, its input schema from its declared inputs (plus `query`
/// for a chat app), reached with the app key that opens it.
public struct PublishedAppTool: Sendable {
    public var slug: String
    public var name: String
    public var description: String
    public var chat: Bool
    public var inputSchema: Value
    let key: String

    /// From the Service API's `/v1/info` (with the slug) and `/v1/parameters` (Dify's `user_input_form`).
    init(key: String, info: Value, parameters: Value) throws(AppGatewayError) {
        guard let slug = info[path: ["slug"]]?.stringValue else { throw .unexpected("the server's /v1/info names no app slug") }
        self.key = key
        self.slug = slug
        name = info[path: ["name"]]?.stringValue ?? slug
        description = info[path: ["description"]]?.stringValue ?? "The Loom app \(slug)."
        chat = info[path: ["mode"]]?.stringValue == "chat"
        var properties: [String: Value] = [:]
        var required: [Value] = []
        if chat {
            properties["query"] = ["type": "string", "description": "The user's message"]
            required.append("query")
        }
        for entry in parameters[path: ["user_input_form"]]?.arrayValue ?? [] {
            guard let (control, field) = entry.objectValue?.first, let variable = field[path: ["variable"]]?.stringValue else { continue }
            var property: [String: Value] = ["description": .string(field[path: ["label"]]?.stringValue ?? variable)]
            switch control {
            case "number": property["type"] = "number"
            case "checkbox": property["type"] = "boolean"
            case "json": break
            case "select":
                property["type"] = "string"
                property["enum"] = field[path: ["options"]] ?? []
            default:
                property["type"] = "string"
                if let length = field[path: ["max_length"]], !length.isNull { property["maxLength"] = length }
            }
            properties[variable] = .object(property)
            if field[path: ["required"]] == true { required.append(.string(variable)) }
        }
        inputSchema = ["type": "object", "properties": .object(properties), "required": .array(required)]
    }
}

public enum AppGatewayError: Error, Sendable, CustomStringConvertible {
    case refused(status: Int, message: String)
    case unreachable(String)
    case unexpected(String)

    public var description: String {
        switch self {
        case .refused(let status, let message): return "the Loom server answered \(status): \(message)"
        case .unreachable(let reason): return "cannot reach the Loom server: \(reason)"
        case .unexpected(let message): return message
        }
    }
}
