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

    static let answerKey = "final_answer"

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

    /// What the system message says, so the model knows its tools and how to call them: each with an example call
    /// built from its own parameters, since a small model copies the shape it is shown.
    var instruction: String {
        // The tools come last: a small model leans to the shape it read most recently.
        var lines = ["Reply with exactly one JSON object."]
        if allowsAnswer {
            lines.append("When you have what you need, reply {\"\(Self.answerKey)\":\"…\"} with your answer. Before that, call a tool whenever one can help.")
        }
        lines.append("The tools:")
        for tool in tools {
            let properties = tool.parameters[path: ["properties"]]?.objectValue ?? [:]
            let example = properties.keys.sorted().map { "\(JSONWriter.string(.string($0))):…" }.joined(separator: ",")
            lines.append("- \(tool.name): \(tool.description) Call it as {\"\(tool.name)\":{\(example)}}. Arguments: \(JSONWriter.string(tool.parameters))")
        }
        if !allowsAnswer { lines.append("Call one of the tools now.") }
        return lines.joined(separator: "\n")
    }

    /// Earlier calls as the JSON the model wrote for them, in the assistant messages that made them (whether or not
    /// this request offers tools).
    static func writingCalls(_ messages: [ChatTemplate.Message], from items: [Value]) -> [ChatTemplate.Message] {
        var result = messages
        for (index, item) in items.enumerated() where index < result.count {
            let written = (item[path: ["tool_calls"]]?.arrayValue ?? []).compactMap { call -> String? in
                guard let name = call[path: ["function", "name"]]?.stringValue else { return nil }
                return "{\(JSONWriter.string(.string(name))):\(call[path: ["function", "arguments"]]?.stringValue ?? "{}")}"
            }
            guard !written.isEmpty else { continue }
            result[index].content = ([result[index].content].filter { !$0.isEmpty } + written).joined(separator: "\n")
        }
        return result
    }

    /// The instruction joined to the system message (or made the first message).
    func instructing(_ messages: [ChatTemplate.Message]) -> [ChatTemplate.Message] {
        var result = messages
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
