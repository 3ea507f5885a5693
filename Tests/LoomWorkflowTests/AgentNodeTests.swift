import Synchronization
import Testing

@testable import LoomWorkflow

/// The agent loop against a scripted model that answers turn by turn; the tools are Loom's own.
@Suite struct AgentNodeTests {
    /// Replies in order, one per call; records each request.
    final class Turns: ModelProvider {
        let replies: [ChatCompletion]
        let requests = Mutex<[ChatRequest]>([])
        var modelNames: [String]? { ["default"] }

        init(_ replies: [ChatCompletion]) {
            self.replies = replies
        }

        func chat(_ request: ChatRequest, onText: @Sendable (String) async -> Void) async throws(ModelError) -> ChatCompletion {
            let turn = requests.withLock { requests in
                requests.append(request)
                return requests.count - 1
            }
            // Offered no tools, the model answers.
            if request.toolChoice == .none { return ChatCompletion(text: "I must stop here.", finishReason: "stop", usage: TokenUsage()) }
            return replies[min(turn, replies.count - 1)]
        }
    }

    static func call(_ name: String, _ arguments: String, id: String = "c1") -> ChatCompletion {
        ChatCompletion(text: "", finishReason: "tool_calls", usage: TokenUsage(promptTokens: 10, completionTokens: 5), toolCalls: [ToolCall(id: id, name: name, arguments: arguments)])
    }

    static func answer(_ text: String) -> ChatCompletion {
        ChatCompletion(text: text, finishReason: "stop", usage: TokenUsage(promptTokens: 20, completionTokens: 3))
    }

    /// A tool whose result is as long as asked.
    struct Echo: Tool {
        let name = "echo"
        let description = "Repeats a letter."
        let parameters = [ToolParameter("times", .integer, description: "How many")]
        func call(_ arguments: [String: Value]) async throws -> Value { .string(String(repeating: "a", count: arguments["times"]?.numberValue.map { Int($0) } ?? 1)) }
    }

    /// A tool that answers only after a long while.
    struct Stall: Tool {
        let name = "stall"
        let description = "Waits."
        let parameters: [ToolParameter] = []
        func call(_ arguments: [String: Value]) async throws -> Value {
            try await Task.sleep(for: .seconds(60))
            return "late"
        }
    }

    private func agent(maxIterations: Int = 4, extra: String = "") throws -> Workflow {
        var loader = WorkflowLoader(modelNames: ["default"])
        loader.tools.register(Echo())
        loader.tools.register(Stall())
        return try loader.load("""
            app: helper
            inputs: {question: text}
            nodes:
              - id: think
                type: agent
                instructions: "Use the calculator for arithmetic."
                tools: [calculator, current_time, echo, stall]
                query: "{{ inputs.question }}"
                max_iterations: \(maxIterations)\(extra)
                next: done
              - {id: done, type: end, outputs: {answer: "{{ think.text }}", calls: "{{ think.tool_calls }}", rounds: "{{ think.iterations }}", finish: "{{ think.finish_reason }}"}}
            """, file: "agent.yaml")
    }

    @Test func theAgentRunsTheToolAndAnswersWithItsResult() async throws {
        let model = Turns([Self.call("calculator", #"{"expression":"17*23"}"#), Self.answer("17 × 23 = 391.")])
        let run = try await record(try agent(), inputs: ["question": "What is 17 times 23?"], models: model)
        #expect(run.result.status == .succeeded, "\(run.result.error ?? "")")
        #expect(run.result.outputs["answer"] == "17 × 23 = 391.")
        #expect(run.result.outputs["rounds"] == 2 && run.result.outputs["finish"] == "answer")
        let calls = try #require(run.result.outputs["calls"]?.arrayValue)
        #expect(calls.first?[path: ["name"]] == "calculator" && calls.first?[path: ["result"]] == 391)
        #expect(calls.first?[path: ["duration"]]?.numberValue != nil)
        // The second request carries the call and its result; the tools are offered with their schemas.
        let second = try #require(model.requests.withLock { $0 }.last)
        #expect(second.messages.suffix(2).map(\.role) == [.assistant, .tool])
        #expect(second.messages.last?.content == "391" && second.messages.last?.toolCallId == "c1")
        #expect(second.tools.map(\.name) == ["calculator", "current_time", "echo", "stall"])
        #expect(second.tools.first?.parameters[path: ["required"]] == ["expression"])
        #expect(run.names.filter { $0 == "agent_log" }.count == 3)
    }

    @Test func aFailingToolIsAnErrorTheModelReadsAndMayRecoverFrom() async throws {
        let model = Turns([
            Self.call("calculator", #"{"expression":"17 times 23"}"#), Self.call("nope", "{}", id: "c2"), Self.call("echo", #"{"times": 20000}"#, id: "c3"),
            Self.answer("391"),
        ])
        let run = try await record(try agent(maxIterations: 6), inputs: ["question": "17*23?"], models: model)
        #expect(run.result.status == .succeeded)
        let errors = (run.result.outputs["calls"]?.arrayValue ?? []).map { $0[path: ["error"]]?.text ?? "" }
        #expect(errors.count == 3)
        #expect(errors[1].contains("there is no tool named 'nope'"))
        #expect(errors[2].contains("over the limit of 16384"))
        let toolMessages = model.requests.withLock { $0 }.last?.messages.filter { $0.role == .tool }.map(\.content) ?? []
        #expect(toolMessages.count == 3 && toolMessages.allSatisfy { $0.hasPrefix("error: ") })
    }

    @Test func aToolThatDoesNotAnswerInTimeIsAnErrorTheModelReads() async throws {
        let model = Turns([Self.call("stall", "{}"), Self.answer("It took too long; sorry.")])
        let started = ContinuousClock.now
        let run = try await record(try agent(extra: "\n    tool_timeout_s: 0.2"), inputs: ["question": "wait"], models: model)
        #expect(ContinuousClock.now - started < .seconds(20), "the late call was let go, not waited for")
        #expect(run.result.status == .succeeded && run.result.outputs["answer"] == "It took too long; sorry.")
        let error = run.result.outputs["calls"]?[path: ["0", "error"]]?.text ?? ""
        #expect(error.contains("'stall' did not answer within 0.2 s (tool_timeout_s)"), "\(error)")
    }

    @Test func aModelThatKeepsCallingToolsIsMadeToAnswerAtTheLimit() async throws {
        let model = Turns([Self.call("current_time", "{}")])
        let run = try await record(try agent(maxIterations: 3), inputs: ["question": "time?"], models: model)
        #expect(run.result.outputs["finish"] == "max_iterations")
        #expect(run.result.outputs["rounds"] == 3)
        #expect(run.result.outputs["calls"]?.arrayValue?.count == 2)
        #expect(model.requests.withLock { $0 }.last?.toolChoice == ToolChoice.none)
    }

    @Test func aModelThatCallsToolsEvenWhenOfferedNoneFailsTheNodeWithTheReason() async throws {
        final class Stubborn: ModelProvider {
            var modelNames: [String]? { ["default"] }
            func chat(_ request: ChatRequest, onText: @Sendable (String) async -> Void) async throws(ModelError) -> ChatCompletion {
                AgentNodeTests.call("current_time", "{}")
            }
        }
        let run = try await record(try agent(maxIterations: 2), inputs: ["question": "time?"], models: Stubborn())
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("still calling tools after 2 rounds") == true)
    }

    @Test func unknownToolsAreLoadErrors() {
        let unknown = problems("app: x\nnodes:\n  - {id: a, type: agent, tools: [calculator, web_search], query: q}\n")
        #expect(unknown.first?.message.contains("unknown tool 'web_search'; available: calculator, current_time") == true)
        #expect(problems("app: x\nnodes:\n  - {id: a, type: agent, tools: [], query: q}\n").first?.message.contains("at least one") == true)
    }
}
