import Foundation
import LoomConnectors
import LoomTestSupport
import LoomWorkflow
import Synchronization
import Testing

/// The http-request node and llm node over real sockets: the engine, the network fetcher and provider, and a
/// server the test runs.
@Suite struct HTTPRequestNodeTests {
    static let apiLookup = TestFilesPath.root.appendingPathComponent("workflows/api-lookup.yaml")

    private func run(_ workflow: Workflow, _ inputs: [String: Value], allowPrivate: Bool = true, models: (any ModelProvider)? = nil) async throws -> RunResult {
        let fetcher = NetworkHTTPFetcher()
        let engine = WorkflowEngine(services: EngineServices(models: models, http: fetcher, httpPolicy: HTTPPolicy(allowPrivateNetworks: allowPrivate, maxResponseBytes: 4096)))
        let result = try await engine.run(workflow, inputs: inputs)
        await fetcher.shutdown()
        return result
    }

    private func directory(_ request: TestHTTPServer.Request) -> TestHTTPServer.Response {
        switch request.path {
        case "/users/7" where request.uri.contains("fields=name,plan") && request.header("accept") == "application/json":
            return .json(#"{"name": "Ada", "plan": "pro"}"#)
        case "/users/old": return TestHTTPServer.Response(status: 302, headers: [("Location", "/users/7?fields=name,plan"), ("Content-Length", "0")], chunks: [])
        case "/big": return .text(String(repeating: "x", count: 10_000))
        case "/echo": return .json(request.bodyText)
        default: return .json(#"{"error": "not found"}"#, status: 404)
        }
    }

    @Test func fetchesJSONAndAnswersFromIt() async throws {
        let workflow = try WorkflowLoader().load(try String(contentsOf: Self.apiLookup, encoding: .utf8), file: "api-lookup.yaml")
        try await TestHTTPServer.with({ directory($0) }) { port in
            let found = try await run(workflow, ["base_url": .string("http://127.0.0.1:\(port)"), "user_id": "7"])
            #expect(found.outputs == ["summary": "Ada is on the pro plan.", "status": 200])
            let missing = try await run(workflow, ["base_url": .string("http://127.0.0.1:\(port)"), "user_id": "8"])
            #expect(missing.outputs == ["summary": "No user 8 (HTTP 404).", "status": 404])
        }
    }

    @Test func anUnreachableServiceTakesTheErrorBranch() async throws {
        let workflow = try WorkflowLoader().load(try String(contentsOf: Self.apiLookup, encoding: .utf8), file: "api-lookup.yaml")
        let port = try await TestHTTPServer.closedPort()
        let result = try await run(workflow, ["base_url": .string("http://127.0.0.1:\(port)"), "user_id": "7"])
        #expect(result.status == .partialSucceeded)
        #expect(result.outputs["summary"]?.text.hasPrefix("The directory is unreachable: cannot reach http://127.0.0.1:\(port)/users/7") == true)
    }

    @Test func loopbackAndLocalhostAreRefusedUnlessAllowed() async throws {
        let workflow = try WorkflowLoader().load(try String(contentsOf: Self.apiLookup, encoding: .utf8), file: "api-lookup.yaml")
        let hits = Atomic<Int>(0)
        try await TestHTTPServer.with({ request in
            hits.wrappingAdd(1, ordering: .relaxed)
            return directory(request)
        }) { port in
            for host in ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"] {
                let result = try await run(workflow, ["base_url": .string("http://\(host):\(port)"), "user_id": "7"], allowPrivate: false)
                #expect(result.outputs["summary"]?.text.contains("loopback addresses are blocked") == true, "\(host): \(result.outputs)")
            }
        }
        #expect(hits.load(ordering: .relaxed) == 0)
    }

    @Test func theFetcherChecksResolvedAddressesToo() async throws {
        let fetcher = NetworkHTTPFetcher()
        await #expect(throws: HTTPFetchError.self) {
            try await fetcher.fetch(HTTPRequestSpec(method: "GET", url: "http://localhost:9/"))
        }
        do {
            _ = try await fetcher.fetch(HTTPRequestSpec(method: "GET", url: "http://127.0.0.1:9/"))
        } catch {
            #expect(error == .forbiddenAddress(host: "127.0.0.1", address: "127.0.0.1", reason: "loopback"))
        }
        await fetcher.shutdown()
    }

    @Test func redirectsAreFollowedOneHopAtATime() async throws {
        try await TestHTTPServer.with({ directory($0) }) { port in
            let fetcher = NetworkHTTPFetcher()
            let response = try await fetcher.fetch(HTTPRequestSpec(
                    method: "GET", url: "http://127.0.0.1:\(port)/users/old", headers: [("Accept", "application/json")], allowPrivateNetworks: true))
            await fetcher.shutdown()
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self).contains("Ada"))
        }
    }

    @Test func anOversizedResponseIsAFailureNotATruncation() async throws {
        let workflow = try WorkflowLoader().load("app: big\ninputs: {url: text}\nnodes:\n  - {id: get, type: http-request, url: \"{{ inputs.url }}\"}\n", file: "big.yaml")
        try await TestHTTPServer.with({ directory($0) }) { port in
            let result = try await run(workflow, ["url": .string("http://127.0.0.1:\(port)/big")])
            #expect(result.status == .failed)
            #expect(result.error?.contains("larger than 4 KB") == true)
        }
    }

    @Test func jsonBodiesAreSentRendered() async throws {
        let workflow = try WorkflowLoader().load("""
            app: post
            inputs: {url: text, qty: number}
            nodes:
              - {id: post, type: http-request, method: POST, url: "{{ inputs.url }}/echo", body: {json: {qty: "{{ inputs.qty }}", note: "x{{ inputs.qty }}", tags: [a, b]}}, next: done}
              - {id: done, type: end, outputs: {echo: "{{ post.json }}"}}
            """, file: "post.yaml")
        try await TestHTTPServer.with({ directory($0) }) { port in
            let result = try await run(workflow, ["url": .string("http://127.0.0.1:\(port)"), "qty": 3])
            #expect(result.outputs["echo"] == ["qty": 3, "note": "x3", "tags": ["a", "b"]])
        }
    }

    @Test func anLLMNodeStreamsThroughTheHTTPProviderIntoAnAnswer() async throws {
        let workflow = try WorkflowLoader(modelNames: ["default", "local"]).load("""
            app: chat
            mode: chat
            nodes:
              - {id: draft, type: llm, model: default, prompt: "hi", next: reply}
              - {id: reply, type: answer, answer: "{{ draft.text }}"}
            """, file: "chat.yaml")
        try await TestHTTPServer.with({ _ in OpenAIStub.stream(["Bon", "jour"], pause: .milliseconds(20)) }) { port in
            let provider = OpenAICompatibleProvider(catalog: ModelCatalog(endpoints: ["local": ModelEndpoint(name: "local", baseURL: "http://127.0.0.1:\(port)/v1", model: "m")], defaultName: "local"))
            let chunks = Mutex<[String]>([])
            let engine = WorkflowEngine(services: EngineServices(models: provider))
            let result = try await engine.run(workflow, inputs: [:]) { event in
                if case .textChunk(let text, _) = event.kind { chunks.withLock { $0.append(text) } }
            }
            await provider.shutdown()
            #expect(result.outputs["answer"] == "Bonjour")
            #expect(chunks.withLock { $0 } == ["Bon", "jour"])
            #expect(result.usage.totalTokens == 13)
        }
    }
}

enum TestFilesPath {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
