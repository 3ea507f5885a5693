import LoomInference
import LoomWorkflow

/// OpenAI's `tools` and `tool_choice` on the bundled models, which were not trained to call tools: the tools are
/// described in the system message and the reply is constrained to `{"TOOL": {arguments}}` — or, under `auto`,
/// `{"answer": "text"}` — so every call names a real tool with arguments its schema accepts.
struct ToolMode {
    struct Tool {
        var name: String
        var description: String
        var parameters: Value
    }

    /// What the model's constrained reply meant.
    enum Reply {
        case answer(String)
        case call(id: String, name: String, arguments: String)
    }

    static let answerKey = "answer"

    let tools: [Tool]
    let schema: JSONSchema
    let allowsAnswer: Bool

    /// nil when no tool may be called (no tools, or `tool_choice: none`).
    init?(_ body: [String: Value]) throws(OpenAIError) {
        guard let list = body["tools"], !list.isNull else { return nil }
        guard let items = list.arrayValue else { throw .invalid("'tools' must be an array of {type: function, function: {name, description, parameters}}", param: "tools") }
        var tools: [Tool] = []
        for (index, item) in items.enumerated() {
            let param = "tools[\(index)]"
            guard item[path: ["type"]]?.stringValue == "function", let function = item[path: ["function"]]?.objectValue,
                let name = function["name"]?.stringValue, !name.isEmpty
            else { throw .invalid("\(param) must be {type: function, function: {name, description, parameters}}", param: param) }
            guard name != Self.answerKey else { throw .invalid("\(param): '\(Self.answerKey)' is reserved on this worker; rename the tool", param: param) }
            tools.append(Tool(name: name, description: function["description"]?.stringValue ?? "", parameters: function["parameters"] ?? ["type": "object", "properties": [:]]))
        }
        guard !tools.isEmpty else { return nil }
        var offered = tools
        var allowsAnswer = true
        switch body["tool_choice"] {
        case nil, .null?, .string("auto")?: break
        case .string("none")?: return nil
        case .string("required")?: allowsAnswer = false
        case .object(let choice)?:
            guard let name = choice["function"]?[path: ["name"]]?.stringValue, let tool = tools.first(where: { $0.name == name }) else {
                throw .invalid("'tool_choice' names no tool of 'tools'", param: "tool_choice")
            }
            offered = [tool]
            allowsAnswer = false
        default: throw .invalid("'tool_choice' must be auto, none, required or {type: function, function: {name}}", param: "tool_choice")
        }
        var keys: [JSONSchema.Property] = []
        for (index, tool) in offered.enumerated() {
            do {
                keys.append(.init(name: tool.name, schema: try JSONSchema(json: JSONWriter.string(tool.parameters))))
            } catch {
                throw .invalid("tools[\(index)] '\(tool.name)': \(error)", param: "tools")
            }
        }
        if allowsAnswer { keys.append(.init(name: Self.answerKey, schema: .string(maxLength: nil))) }
        self.tools = offered
        self.allowsAnswer = allowsAnswer
        schema = .oneOf(keys: keys)
    }

    /// What the system message says, so the model knows its tools and how to call them.
    var instruction: String {
        var lines = ["You can call these tools:"]
        for tool in tools {
            lines.append("- \(tool.name): \(tool.description) Arguments (JSON Schema): \(JSONWriter.string(tool.parameters))")
        }
        let example = tools[0].name
        lines.append("To call a tool, reply with only {\"\(example)\": {…its arguments…}} (the tool's name as the key).")
        if allowsAnswer { lines.append("When you can answer without a tool, reply with only {\"\(Self.answerKey)\": \"your answer\"}.") }
        return lines.joined(separator: "\n")
    }

    /// The conversation as the model reads it: the instruction joined to the system message, earlier calls as the
    /// JSON the model wrote, tool results as tool messages.
    func messages(_ messages: [ChatTemplate.Message], calls: [Int: [(name: String, arguments: String)]]) -> [ChatTemplate.Message] {
        var result = messages
        for (index, list) in calls {
            let written = list.map { "{\(JSONWriter.string(.string($0.name))):\($0.arguments)}" }.joined(separator: "\n")
            result[index].content = result[index].content.isEmpty ? written : result[index].content + "\n" + written
        }
        if let system = result.firstIndex(where: { $0.role == "system" }) {
            result[system].content += "\n\n" + instruction
        } else {
            result.insert(ChatTemplate.Message(role: "system", content: instruction), at: 0)
        }
        return result
    }

    /// Reads the constrained reply.
    func reply(_ text: String) -> Reply {
        guard let object = (try? JSONDocumentReader.parse(text).value)?.objectValue, let (key, value) = object.first else { return .answer(text) }
        if key == Self.answerKey { return .answer(value.stringValue ?? value.text) }
        return .call(id: "call_" + String(UInt64.random(in: 0...UInt64.max), radix: 36), name: key, arguments: JSONWriter.string(value))
    }
}
