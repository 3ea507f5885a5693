import AsyncHTTPClient
import Foundation
import Logging
import LoomInference
import LoomTestSupport
import LoomWorker
import NIOCore
import NIOHTTP1

/// A `loom worker` in the test process on a free port, serving the real bundled models.
struct WorkerHarness {
    let baseURL: String
    let client: HTTPClient
    let models: WorkerModels

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var text: String

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorParam: String? { (json["error"] as? [String: Any])?["param"] as? String }
        /// The `data:` payloads of an SSE body.
        var events: [String] { text.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) } }
    }

    static func registry() throws -> ModelRegistry { try TestWorker.registry() }

    static func with<T: Sendable>(
        configure: (inout WorkerServer.Configuration) -> Void = { _ in }, serving: (ModelRegistry.Entry) -> Bool = { _ in true },
        _ body: @Sendable (WorkerHarness) async throws -> T
    ) async throws -> T {
        try await TestWorker.with(configure: configure, serving: serving) { baseURL, client, server in
            try await body(WorkerHarness(baseURL: baseURL, client: client, models: server.models))
        }
    }

    func post(_ path: String, _ json: String) async throws -> Reply {
        try await Self.post(client: client, baseURL + path, json)
    }

    static func post(client: HTTPClient, _ url: String, _ json: String) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await client.execute(request, timeout: .seconds(120))
        var body = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, text: body.readString(length: body.readableBytes) ?? "")
    }

    /// Opens a streamed request and returns once its response head is in (for a worker: with the first token).
    static func stream(client: HTTPClient, _ url: String, _ json: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        return try await client.execute(request, timeout: .seconds(300))
    }

    func get(_ path: String) async throws -> Reply {
        let response = try await client.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(30))
        var body = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, text: body.readString(length: body.readableBytes) ?? "")
    }

    /// The greedy completion the engine gives for `prompt` on its own, to compare the API's answers with.
    func greedy(_ prompt: String, maxTokens: Int) throws -> GenerationSummary {
        let chat = models.chat["smollm2-135m"]!
        let runner = LlamaRunner(model: chat.model, pool: ComputePool(threads: 1))
        return TextGenerator(runner: runner).generate(GenerationRequest(prompt: chat.model.encode(prompt), maxTokens: maxTokens))
    }
}
