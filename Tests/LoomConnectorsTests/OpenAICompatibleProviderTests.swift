import Foundation
import LoomConnectors
import LoomTestSupport
import LoomWorkflow
import Synchronization
import Testing

@Suite struct OpenAICompatibleProviderTests {
    private func catalog(port: Int, key: String? = nil, read: Duration = .seconds(30)) -> ModelCatalog {
        ModelCatalog(
            endpoints: ["local": ModelEndpoint(name: "local", baseURL: "http://127.0.0.1:\(port)/v1/", model: "smol", apiKey: key, readTimeout: read)],
            defaultName: "local")
    }

    @Test func streamsTextAsItArrivesAndReportsUsage() async throws {
        let seen = Mutex<[TestHTTPServer.Request]>([])
        try await TestHTTPServer.with({ request in
            seen.withLock { $0.append(request) }
            return OpenAIStub.stream(["Hel", "lo ", "wörld"], promptTokens: 21)
        }) { port in
            let provider = OpenAICompatibleProvider(catalog: catalog(port: port, key: "sk-test"))
            defer { Task { await provider.shutdown() } }
            let pieces = Mutex<[String]>([])
            var request = ChatRequest(model: "default", messages: [ChatMessage(.system, "be brief"), ChatMessage(.user, "hi")], maxTokens: 7, temperature: 0.5, stop: ["\n"], seed: 42)
            request.repetitionPenalty = 1.3
            let completion = try await provider.chat(request) { piece in pieces.withLock { $0.append(piece) } }
            #expect(completion.text == "Hello wörld")
            #expect(pieces.withLock { $0 } == ["Hel", "lo ", "wörld"])
            #expect(completion.usage == TokenUsage(promptTokens: 21, completionTokens: 3))
            #expect(completion.finishReason == "stop")
        }
        let request = try #require(seen.withLock { $0.first })
        #expect(request.path == "/v1/chat/completions")
        #expect(request.header("authorization") == "Bearer sk-test")
        let body = try JSONDocumentReader.parse(request.bodyText).value
        #expect(body[path: ["model"]] == "smol")
        #expect(body[path: ["stream"]] == true)
        #expect(body[path: ["max_tokens"]] == 7 && body[path: ["seed"]] == 42 && body[path: ["stop"]] == ["\n"])
        #expect(body[path: ["repetition_penalty"]] == 1.3)
        #expect(body[path: ["messages", "1"]] == ["role": "user", "content": "hi"])
    }

    @Test func aModelNameMissingFromTheModelsFileIsRejected() async throws {
        let provider = OpenAICompatibleProvider(catalog: catalog(port: 9))
        await #expect(throws: ModelError.unknownModel("gpt-9", known: ["default", "local"])) {
            try await provider.chat(ChatRequest(model: "gpt-9", messages: [ChatMessage(.user, "x")])) { _ in }
        }
        await provider.shutdown()
    }

    @Test func providerErrorsCarryTheirMessage() async throws {
        try await TestHTTPServer.with({ _ in OpenAIStub.error(404, "The model `smol` does not exist") }) { port in
            let provider = OpenAICompatibleProvider(catalog: catalog(port: port))
            defer { Task { await provider.shutdown() } }
            await #expect(throws: ModelError.httpStatus(model: "local", status: 404, message: "The model `smol` does not exist")) {
                try await provider.chat(ChatRequest(model: "local", messages: [ChatMessage(.user, "x")])) { _ in }
            }
        }
    }

    @Test func aRefusedConnectionFailsAtOnceWithTheEndpoint() async throws {
        let port = try await TestHTTPServer.closedPort()
        // A minute to connect: a provider that kept retrying the refused connection would take all of it.
        var endpoints = catalog(port: port).endpoints
        endpoints["local"]?.connectTimeout = .seconds(60)
        let provider = OpenAICompatibleProvider(catalog: ModelCatalog(endpoints: endpoints, defaultName: "local"))
        let started = ContinuousClock.now
        do {
            _ = try await provider.chat(ChatRequest(model: "local", messages: [ChatMessage(.user, "x")])) { _ in }
            Issue.record("expected a failure")
        } catch {
            guard case .unreachable(let model, let endpoint, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(model == "local")
            #expect(endpoint == "http://127.0.0.1:\(port)/v1/chat/completions")
        }
        // AsyncHTTPClient would otherwise keep retrying the connection until its connect timeout; a loaded machine
        // may take seconds to get here (4 s were missed once in CI).
        #expect(ContinuousClock.now - started < .seconds(30))
        await provider.shutdown()
    }

    @Test func aStalledStreamHitsTheReadTimeout() async throws {
        try await TestHTTPServer.with({ _ in OpenAIStub.stream(["a", "b"], pause: .seconds(3)) }) { port in
            let provider = OpenAICompatibleProvider(catalog: catalog(port: port, read: .milliseconds(300)))
            defer { Task { await provider.shutdown() } }
            await #expect(throws: ModelError.timedOut(model: "local", endpoint: "http://127.0.0.1:\(port)/v1/chat/completions")) {
                try await provider.chat(ChatRequest(model: "local", messages: [ChatMessage(.user, "x")])) { _ in }
            }
        }
    }

    @Test func plainJSONCompletionsAreAcceptedToo() async throws {
        let body = #"{"choices":[{"index":0,"message":{"role":"assistant","content":"Paris."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#
        try await TestHTTPServer.with({ _ in .json(body) }) { port in
            let provider = OpenAICompatibleProvider(catalog: catalog(port: port))
            defer { Task { await provider.shutdown() } }
            let completion = try await provider.chat(ChatRequest(model: "local", messages: [ChatMessage(.user, "x")])) { _ in }
            #expect(completion.text == "Paris.")
            #expect(completion.usage.totalTokens == 7)
        }
    }

    @Test func modelsFileIsReadWithKeysFromTheEnvironment() throws {
        let yaml = """
            default: local
            models:
              local: {base_url: "http://127.0.0.1:8700/v1", model: smollm2-135m}
              hosted: {base_url: "https://api.example.com/v1", model: big-1, api_key_env: HOSTED_KEY, read_timeout_s: 30}
            """
        let catalog = try ModelCatalog.parse(yaml, file: "models.yaml", environment: ["HOSTED_KEY": "secret"])
        #expect(catalog.names == ["default", "hosted", "local"])
        #expect(catalog.endpoint(named: "default")?.model == "smollm2-135m")
        #expect(catalog.endpoint(named: "hosted")?.apiKey == "secret")
        #expect(catalog.endpoint(named: "hosted")?.readTimeout == .seconds(30))
    }

    @Test func modelsFileMistakesNameTheirLine() {
        let yaml = "default: missing\nmodels:\n  local: {base_url: ftp://x, model: m}\n"
        do {
            _ = try ModelCatalog.parse(yaml, file: "models.yaml", environment: [:])
            Issue.record("expected errors")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "models.yaml:1:10: 'default' names 'missing', which is not under 'models'",
                "models.yaml:3:10: model 'local' needs 'base_url', an http(s) URL such as http://127.0.0.1:8700/v1",
            ])
        }
    }
}
