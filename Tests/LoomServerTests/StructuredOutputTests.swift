import Foundation
import LoomConnectors
import LoomServer
import LoomTestSupport
import LoomWorkflow
import Synchronization
import Testing

/// `output_schema` on llm nodes and the parameter extractor, through the server to a real worker: the bundled model's
/// replies always have the schema's shape.
@Suite(.serialized) struct StructuredOutputTests {
    static let app = """
        app: triage-json
        inputs: {ticket: paragraph}
        nodes:
          - id: read
            type: llm
            model: smollm2-135m
            prompt: "Ticket: {{ inputs.ticket }}"
            max_tokens: 60
            output_schema:
              type: object
              properties:
                category: {enum: [billing, bug, other]}
                urgent: {type: boolean}
              required: [category, urgent]
            next: extract
          - id: extract
            type: parameter-extractor
            model: smollm2-135m
            query: "{{ inputs.ticket }}"
            max_tokens: 60
            parameters:
              - {name: order_id, type: string, description: "The order number"}
              - {name: amount, type: number, description: "The amount charged", required: true}
            next: done
          - id: done
            type: end
            outputs:
              category: "{{ read.structured.category }}"
              urgent: "{{ read.structured.urgent }}"
              amount: "{{ extract.amount }}"
              extracted: "{{ extract.__is_success }}"
        """

    @Test(arguments: ["I was charged 19.90 twice for order A-1042!", "The export button does nothing.", "hi"])
    func theBundledModelAlwaysAnswersInTheSchemasShape(ticket: String) async throws {
        try await TestWorker.with { baseURL, _, _ in
            let catalog = ModelCatalog(
                endpoints: ["smollm2-135m": ModelEndpoint(name: "smollm2-135m", baseURL: baseURL + "/v1", model: "smollm2-135m")], defaultName: "smollm2-135m")
            try await ServerHarness.with(catalog: catalog) { server in
                let key = try await server.publish(Self.app)
                let run = try await server.request(
                    .POST, "/v1/workflows/run", token: key, body: JSONWriter.string(["inputs": ["ticket": .string(ticket)], "response_mode": "blocking"]))
                #expect(run.status == 200, "\(run.text)")
                let outputs = run.body[path: ["data", "outputs"]]
                #expect(["billing", "bug", "other"].contains(outputs?[path: ["category"]]?.stringValue ?? ""), "\(run.text)")
                #expect(outputs?[path: ["urgent"]]?.boolValue != nil, "\(run.text)")
                #expect(outputs?[path: ["amount"]]?.typeName == "number", "\(run.text)")
                #expect(outputs?[path: ["extracted"]] == 1, "\(run.text)")
            }
        }
    }

    /// The example as `deploy/dev up` serves it, with its HTTP tool's API answered by a local stand-in for
    /// api.frankfurter.dev (the tests run offline): every call the bundled model makes names a real tool with a JSON
    /// object, and an exchange-rate question goes out over HTTP.
    @Test func theAgentExampleMakesValidToolCallsOnTheBundledModel() async throws {
        let asked = RequestLog()
        try await TestHTTPServer.with({ request in
            asked.add(request.uri)
            return .json(#"{"amount":1.0,"base":"USD","date":"2026-12-03","rates":{"EUR":0.92}}"#)
        }) { ratesPort in
            let spec = ServerHarness.root.appendingPathComponent("deploy/tools/exchange-rates.openapi.yaml").path
            let tools = try LoomProcess.scratchFile("tools.yaml", "openapi:\n  exchange:\n    spec: \(spec)\n    base_url: http://127.0.0.1:\(ratesPort)\n")
            try await TestWorker.with { baseURL, _, _ in
                let catalog = ModelCatalog(
                    endpoints: ["smollm2-135m": ModelEndpoint(name: "smollm2-135m", baseURL: baseURL + "/v1", model: "smollm2-135m")], defaultName: "smollm2-135m")
                try await ServerHarness.with(catalog: catalog, configure: { $0.toolsFile = tools.path }) { server in
                    let source = try String(contentsOfFile: ServerHarness.root.appendingPathComponent("workflows/agent-helper.yaml").path, encoding: .utf8)
                    let key = try await server.publish(source)
                    var made: [Value] = []
                    for question in ["What is 17 times 23?", "What is the date today?", "What is the exchange rate from USD to EUR?", "Say hello."] {
                        let reply = try await server.request(
                            .POST, "/v1/chat-messages", token: key, body: JSONWriter.string(["query": .string(question), "user": "ana", "response_mode": "blocking"]))
                        #expect(reply.status == 200, "\(reply.text)")
                        #expect(reply.body[path: ["answer"]]?.stringValue?.isEmpty == false, "\(reply.text)")
                        let runId = try #require(reply.body[path: ["task_id"]]?.stringValue)
                        var calls: [Value]?
                        for _ in 0..<50 where calls == nil {
                            let run = try await server.admin(.GET, "/admin/runs/\(runId)")
                            calls = run.body[path: ["node_runs"]]?.arrayValue?.first { $0[path: ["node_id"]] == "think" }?[path: ["outputs", "tool_calls"]]?.arrayValue
                            if calls == nil { try await Task.sleep(for: .milliseconds(100)) }
                        }
                        print("agent:", question, "→", reply.body[path: ["answer"]]?.stringValue ?? "", calls ?? [])
                        // Whatever the model chose, each call named a real tool with JSON object arguments.
                        for call in try #require(calls, "\(question)") {
                            #expect(["calculator", "current_time", "exchange_latest"].contains(call[path: ["name"]]?.stringValue ?? ""), "\(call)")
                            #expect((try? JSONDocumentReader.parse(call[path: ["arguments"]]?.stringValue ?? "").value.objectValue) != nil, "\(call)")
                            made.append(call)
                        }
                    }
                    #expect(!made.isEmpty, "the agent never used a tool")
                    // Each exchange-rate call the tool accepted went to the API, and its answer came back as the result.
                    let fetched = made.filter { $0[path: ["name"]] == "exchange_latest" && $0[path: ["error"]] == nil }
                    #expect(!fetched.isEmpty, "the agent never asked for a rate: \(made)")
                    #expect(asked.count == fetched.count, "\(asked.all)")
                    #expect(fetched.allSatisfy { $0[path: ["result"]]?.text.contains("0.92") == true }, "\(fetched)")
                }
            }
        }
    }
}

/// What a stand-in HTTP API was asked.
private final class RequestLog: Sendable {
    private let uris = Mutex<[String]>([])
    func add(_ uri: String) { uris.withLock { $0.append(uri) } }
    var all: [String] { uris.withLock { $0 } }
    var count: Int { all.count }
}
