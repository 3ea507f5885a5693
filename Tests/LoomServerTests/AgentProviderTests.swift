import Foundation
import LoomConnectors
import LoomTestSupport
import LoomWorkflow
import Synchronization
import Testing

/// The agent example on an OpenAI-compatible provider with native tool calls (a stand-in that speaks the protocol):
/// the tools go out as `tools`, the streamed call is pieced together, run, and its result goes back as a `tool`
/// message before the answer.
@Suite struct AgentProviderTests {
    @Test func theAgentExampleUsesNativeToolCallsOnAHostedModel() async throws {
        let bodies = Bodies()
        try await TestHTTPServer.with({ request in
            let body = (try? JSONDocumentReader.parse(request.bodyText).value) ?? .null
            bodies.add(body)
            let answered = (body[path: ["messages"]]?.arrayValue ?? []).contains { $0[path: ["role"]] == "tool" }
            return answered
                ? OpenAIStub.stream(["17 × 23 ", "is 391."])
                : OpenAIStub.toolCall(id: "call_1", name: "calculator", argumentPieces: [#"{"expres"#, #"sion": "17 * 23"}"#])
        }) { port in
            let spec = ServerHarness.root.appendingPathComponent("deploy/tools/exchange-rates.openapi.yaml").path
            let tools = try LoomProcess.scratchFile("tools.yaml", "openapi:\n  exchange: {spec: \(spec)}\n")
            let catalog = ModelCatalog(
                endpoints: ["hosted": ModelEndpoint(name: "hosted", baseURL: "http://127.0.0.1:\(port)/v1", model: "gpt-test")], defaultName: "hosted")
            try await ServerHarness.with(catalog: catalog, configure: { $0.toolsFile = tools.path }) { server in
                let source = try String(contentsOfFile: ServerHarness.root.appendingPathComponent("workflows/agent-helper.yaml").path, encoding: .utf8)
                let key = try await server.publish(source)
                let reply = try await server.request(
                    .POST, "/v1/chat-messages", token: key, body: #"{"query": "What is 17 times 23?", "user": "ana", "response_mode": "blocking"}"#)
                #expect(reply.status == 200 && reply.body[path: ["answer"]] == "17 × 23 is 391.", "\(reply.text)")

                let sent = bodies.all
                #expect(sent.count == 2, "\(sent)")
                let offered = (sent.first?[path: ["tools"]]?.arrayValue ?? []).compactMap { $0[path: ["function", "name"]]?.stringValue }
                #expect(offered.sorted() == ["calculator", "current_time", "exchange_latest"], "\(offered)")
                #expect(sent.first?[path: ["tool_choice"]] == "required")
                let result = (sent.last?[path: ["messages"]]?.arrayValue ?? []).first { $0[path: ["role"]] == "tool" }
                #expect(result?[path: ["tool_call_id"]] == "call_1" && result?[path: ["content"]]?.text.contains("391") == true, "\(String(describing: result))")

                let runId = try #require(reply.body[path: ["task_id"]]?.stringValue)
                let run = try await server.admin(.GET, "/admin/runs/\(runId)")
                let calls = run.body[path: ["node_runs"]]?.arrayValue?.first { $0[path: ["node_id"]] == "think" }?[path: ["outputs", "tool_calls"]]?.arrayValue
                #expect(calls?.count == 1 && calls?.first?[path: ["name"]] == "calculator" && calls?.first?[path: ["result"]] == 391, "\(String(describing: calls))")
            }
        }
    }
}

/// The request bodies a stand-in received, in order.
private final class Bodies: Sendable {
    private let values = Mutex<[Value]>([])
    func add(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}
