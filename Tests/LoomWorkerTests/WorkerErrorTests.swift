import AsyncHTTPClient
import Foundation
import Logging
import LoomTestSupport
import LoomWorker
import NIOCore
import Testing

/// Bad requests get OpenAI-style errors with the right status, and the worker keeps serving.
@Suite(.serialized) struct WorkerErrorTests {
    /// A stream that runs to its token limit: greedy SmolLM2 keeps counting.
    static func counting(maxTokens: Int) -> String {
        #"{"model": "smollm2-135m", "prompt": "1, 2, 3, 4, 5,", "temperature": 0, "max_tokens": \#(maxTokens), "stream": true}"#
    }

    @Test func badRequestsAreRefusedWithTheFieldAndStatus() async throws {
        try await WorkerHarness.with(configure: { $0.maxBodyBytes = 200_000 }) { worker in
            let cases: [(path: String, body: String, status: Int, code: String?, param: String?)] = [
                ("/v1/chat/completions", #"{"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}"#, 404, "model_not_found", "model"),
                ("/v1/embeddings", #"{"model": "gpt-9", "input": "hi"}"#, 404, "model_not_found", "model"),
                ("/v1/chat/completions", #"{"model": "minilm-l6", "messages": [{"role": "user", "content": "hi"}]}"#, 400, nil, "model"),
                ("/v1/embeddings", #"{"model": "smollm2-135m", "input": "hi"}"#, 400, nil, "model"),
                ("/v1/chat/completions", #"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "hi"}], "temperature": 3}"#, 400, nil, "temperature"),
                ("/v1/chat/completions", #"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}"#, 400, nil, "max_tokens"),
                ("/v1/chat/completions", #"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "hi"}], "n": 2}"#, 400, nil, "n"),
                ("/v1/chat/completions", #"{"model": "smollm2-135m", "messages": [{"role": "wizard", "content": "hi"}]}"#, 400, nil, "messages[0].role"),
                ("/v1/chat/completions", #"{"model": "smollm2-135m", "messages": []}"#, 400, nil, "messages"),
                ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "hi"}]}"#, 400, nil, "model"),
                ("/v1/completions", #"{"model": "smollm2-135m", "prompt": ["a", "b"]}"#, 400, nil, "prompt"),
                ("/v1/completions", #"{"model": "smollm2-135m", "prompt": "hi", "stop": [1]}"#, 400, nil, "stop"),
                ("/v1/embeddings", #"{"model": "minilm-l6", "input": []}"#, 400, nil, "input"),
                ("/v1/chat/completions", #"{"model": "smollm2-135m", "messages": [{"role": "user""#, 400, nil, nil),
                ("/v1/chat/completions", #"[1, 2]"#, 400, nil, nil),
            ]
            for item in cases {
                let reply = try await worker.post(item.path, item.body)
                #expect(reply.status == item.status, "\(item.body)")
                #expect(reply.errorCode == item.code, "\(item.body)")
                #expect(reply.errorParam == item.param, "\(item.body)")
                #expect((reply.json["error"] as? [String: Any])?["message"] as? String != nil, "\(item.body)")
            }
            let oversized = try await worker.post("/v1/completions", #"{"model": "smollm2-135m", "prompt": "\#(String(repeating: "a", count: 300_000))"}"#)
            #expect(oversized.status == 413)
            let unknownRoute = try await worker.post("/v1/nothing", "{}")
            #expect(unknownRoute.status == 404)
            #expect((unknownRoute.json["error"] as? [String: Any]) != nil)
            // Still serving.
            #expect(try await worker.post("/v1/completions", #"{"model": "smollm2-135m", "prompt": "Hi", "max_tokens": 2}"#).status == 200)
        }
    }

    @Test func aWorkerWithNoInstalledModelRefusesToStartAndSaysWhatToRun() throws {
        var registry = try WorkerHarness.registry()
        registry.directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-empty-\(UUID().uuidString)").path
        #expect {
            _ = try WorkerServer(configuration: .init(), registry: registry, logger: Logger(label: "test.worker"))
        } throws: { error in
            "\(error)".contains("loom models pull") && "\(error)".contains(registry.directory)
        }
    }

    @Test func aPromptOverTheContextIsRefused() async throws {
        try await WorkerHarness.with { worker in
            let context = worker.models.chat["smollm2-135m"]!.model.configuration.context
            let prompt = String(repeating: "hello ", count: context + 10)
            let reply = try await worker.post("/v1/completions", #"{"model": "smollm2-135m", "prompt": "\#(prompt)"}"#)
            #expect(reply.status == 400)
            #expect(reply.errorCode == "context_length_exceeded")
        }
    }

    @Test func aFullQueueAnswers429AndADisconnectedStreamFreesItsPlace() async throws {
        try await WorkerHarness.with(configure: { $0.limits = .init(maxBatch: 1, maxWaiting: 0) }) { worker in
            let streaming = Task {
                let response = try await WorkerHarness.stream(client: worker.client, worker.baseURL + "/v1/completions", Self.counting(maxTokens: 4000))
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
                // The first chunk is here: the sequence holds the only place in the batch. Now leave.
                throw CancellationError()
            }
            _ = await streaming.result
            // Until the worker notices, the place may still be taken; it must be free within moments, not after the
            // tens of seconds 4000 tokens take.
            let started = ContinuousClock.now
            var status = 0
            while ContinuousClock.now - started < .seconds(5) {
                status = try await worker.post("/v1/completions", #"{"model": "smollm2-135m", "prompt": "Hi", "max_tokens": 2}"#).status
                if status != 429 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == 200)
        }
    }

    @Test func aSecondRequestWhileTheBatchIsFullIsRefusedWith429() async throws {
        try await WorkerHarness.with(configure: { $0.limits = .init(maxBatch: 1, maxWaiting: 0) }) { worker in
            let response = try await WorkerHarness.stream(client: worker.client, worker.baseURL + "/v1/completions", Self.counting(maxTokens: 300))
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            let refused = try await worker.post("/v1/chat/completions", #"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(refused.status == 429)
            #expect(refused.errorCode == "rate_limit_exceeded")
            #expect(refused.headers.first(name: "retry-after") == "1")
            while try await iterator.next() != nil {}
        }
    }
}
