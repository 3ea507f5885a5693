import Foundation

/// A model that calls tools in a loop: it proposes calls, Loom runs them (in parallel when several come at once) and
/// hands back the results, until the model answers. The last of `max_iterations` rounds offers no tools, so the model
/// must answer (`finish_reason: max_iterations`); a model that calls tools even then fails the node. Outputs `text`,
/// `tool_calls` (each with its arguments, result or error, and duration), `iterations`, `finish_reason` and `usage`;
/// every step is an `agent_log` event. With `tool_choice: required` every round but the last must call a tool and
/// the last answers: the dependable pattern for small models, which rarely choose a tool on their own. A call that
/// takes longer than `tool_timeout_s` (default 30) is an error the model reads, like any other.
public struct AgentNode: WorkflowNode {
    public static let typeName = "agent"
    public static let configKeys = ModelSettings.keys + ["instructions", "tools", "query", "max_iterations", "memory", "tool_choice", "tool_timeout_s"]
    /// What a tool's result may hold when it goes back to the model; more is reported to the model as an error.
    public static let maxResultBytes = 16 * 1024

    public let settings: ModelSettings
    public let instructions: Template?
    public let tools: [any Tool]
    public let query: Template
    public let maxIterations: Int
    public let memoryTurns: Int
    /// Every round but the last must call a tool.
    public let requiresTools: Bool
    /// How long one call may take before the model is told it did not answer.
    public let toolTimeout: Duration

    public static func decode(_ reader: NodeReader) -> AgentNode? {
        let settings = ModelSettings.read(reader)
        let instructions = reader.template("instructions")
        let query = reader.template("query", required: true)
        var tools: [any Tool] = []
        if let node = reader.node("tools", required: true), let items = reader.list(node, what: "'tools'") {
            for item in items {
                guard let name = reader.string(item, what: "a tool name") else { continue }
                guard let tool = reader.tools.tool(named: name) else {
                    reader.error("unknown tool '\(name)'; available: \(reader.tools.names.joined(separator: ", "))", at: item.location)
                    continue
                }
                tools.append(tool)
            }
            if items.isEmpty { reader.error("'tools' names no tool: an agent needs at least one", at: node.location) }
        }
        let maxIterations = reader.integer("max_iterations", in: 1...50) ?? 5
        let memoryTurns = reader.memoryTurns()
        let toolTimeout = reader.number("tool_timeout_s", in: 0.001...3600).map { Duration.milliseconds(Int($0 * 1000)) } ?? .seconds(30)
        var requiresTools = false
        if let choice = reader.string("tool_choice") {
            guard choice == "auto" || choice == "required" else {
                reader.error("'tool_choice' must be auto or required", at: reader.node("tool_choice")?.location)
                return nil
            }
            requiresTools = choice == "required"
            if requiresTools, maxIterations < 2 { reader.error("tool_choice required needs max_iterations of at least 2: a round to call, a round to answer") }
        }
        guard let query, reader.isValid else { return nil }
        return AgentNode(
            settings: settings, instructions: instructions, tools: tools, query: query, maxIterations: maxIterations, memoryTurns: memoryTurns,
            requiresTools: requiresTools, toolTimeout: toolTimeout)
    }

    public var outputNames: [String]? { ["text", "tool_calls", "iterations", "finish_reason", "usage"] }

    /// The tools as the model sees them: their parameters as a JSON Schema.
    var definitions: [ToolDefinition] {
        tools.map { ToolDefinition(name: $0.name, description: $0.description, parameters: $0.inputSchema) }
    }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        let provider = try context.services.requireModels()
        let question = query.render(context.pool)
        var messages: [ChatMessage] = []
        let system = instructions?.render(context.pool) ?? "You are a helpful assistant. Use the tools when they help; answer when you can."
        messages.append(ChatMessage(.system, system))
        if memoryTurns > 0 { messages += context.run.history.suffix(memoryTurns * 2) }
        messages.append(ChatMessage(.user, question))
        var usage = TokenUsage()
        var calls: [Value] = []
        let definitions = self.definitions
        for round in 1...maxIterations {
            let last = round == maxIterations
            var request = settings.request(messages)
            request.tools = definitions
            request.toolChoice = last && maxIterations > 1 ? .none : (requiresTools ? .required : .auto)
            let completion = try await provider.chat(request) { _ in }
            usage = usage + completion.usage
            context.emit(.agentLog(context.execution, AgentStep(
                round: round, label: completion.toolCalls.isEmpty ? "answer" : "thought", status: "succeeded",
                data: ["text": .string(completion.text), "tool_calls": .array(completion.toolCalls.map { ["name": .string($0.name), "arguments": .string($0.arguments)] })])))
            guard !completion.toolCalls.isEmpty else {
                context.partialText(completion.text, output: "text")
                return NodeResult(
                    outputs: [
                        "text": .string(completion.text), "tool_calls": .array(calls), "iterations": .int(round),
                        "finish_reason": .string(last && maxIterations > 1 && !requiresTools ? "max_iterations" : "answer"), "usage": usage.value,
                    ],
                    inputs: ["query": .string(question), "tools": .array(tools.map { .string($0.name) })], usage: usage)
            }
            if last { break }
            messages.append(ChatMessage(.assistant, completion.text, toolCalls: completion.toolCalls))
            let results = await run(completion.toolCalls, round: round, context)
            for (call, result) in zip(completion.toolCalls, results) {
                calls.append(result.record)
                messages.append(ChatMessage(.tool, result.forModel, toolCallId: call.id))
            }
        }
        throw NodeError.failed(
            type: "max_iterations",
            message: "the agent was still calling tools after \(maxIterations) rounds, the last offered none (max_iterations \(maxIterations)); \(calls.count) tool calls run")
    }

    private struct CallResult: Sendable {
        /// The call as the node's `tool_calls` output keeps it.
        var record: Value
        /// What goes back to the model: the result's text, or the error so it can try something else.
        var forModel: String
    }

    /// Runs the round's calls at once; each failure is a result the model reads, not the node's failure.
    private func run(_ calls: [ToolCall], round: Int, _ context: NodeContext) async -> [CallResult] {
        await withTaskGroup(of: (Int, CallResult).self) { group in
            for (index, call) in calls.enumerated() {
                group.addTask {
                    let started = ContinuousClock.now
                    var record: [String: Value] = ["name": .string(call.name), "arguments": .string(call.arguments)]
                    let forModel: String
                    do {
                        let output = try await invoke(call)
                        let text = output.text
                        guard text.utf8.count <= Self.maxResultBytes else {
                            throw ToolError.failed("the result is \(text.utf8.count) bytes, over the limit of \(Self.maxResultBytes): ask for less")
                        }
                        record["result"] = output
                        forModel = text
                    } catch {
                        let message = (error as? ToolError)?.description ?? String(describing: error)
                        record["error"] = .string(message)
                        forModel = "error: " + message
                    }
                    let elapsed = ContinuousClock.now - started
                    record["duration"] = .double(elapsed.seconds)
                    context.emit(.agentLog(context.execution, AgentStep(
                        round: round, label: "tool \(call.name)", status: record["error"] == nil ? "succeeded" : "failed", data: .object(record))))
                    return (index, CallResult(record: .object(record), forModel: forModel))
                }
            }
            var results = [CallResult?](repeating: nil, count: calls.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    private func invoke(_ call: ToolCall) async throws -> Value {
        guard let tool = tools.first(where: { $0.name == call.name }) else {
            throw ToolError.failed("there is no tool named '\(call.name)'; the tools are: \(tools.map(\.name).joined(separator: ", "))")
        }
        // Tools honour cancellation (HTTP, MCP and app calls end when cancelled), so a late one is let go here.
        let limit = toolTimeout
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await tool.call(json: call.arguments) }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ToolError.failed("'\(call.name)' did not answer within \(limit.seconds) s (tool_timeout_s); try another way")
            }
            return value
        }
    }
}

/// One step of an agent: the model's turn or one tool call.
public struct AgentStep: Sendable {
    public var round: Int
    public var label: String
    public var status: String
    public var data: Value
}
