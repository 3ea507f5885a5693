import AsyncHTTPClient
import Foundation
import LoomInference
import LoomTestSupport
import LoomWorker
import NIOCore
import Testing

/// The worker's OpenAI-compatible API over the real bundled models.
@Suite(.serialized) struct OpenAIAPITests {
    static let question = #"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "What is the capital of France?"}], "temperature": 0, "max_tokens": 24"#

    @Test func chatCompletionAnswersWithTheModelsGreedyText() async throws {
        try await WorkerHarness.with { worker in
            let reply = try await worker.post("/v1/chat/completions", Self.question + "}")
            #expect(reply.status == 200)
            let chat = worker.models.chat["smollm2-135m"]!
            let prompt = chat.model.chatTemplate.render([ChatTemplate.Message(role: "user", content: "What is the capital of France?")])
            let expected = try worker.greedy(prompt, maxTokens: 24)
            let choice = (reply.json["choices"] as? [[String: Any]])?.first
            #expect((choice?["message"] as? [String: Any])?["content"] as? String == expected.text)
            #expect(choice?["finish_reason"] as? String == (expected.finish == .length ? "length" : "stop"))
            let usage = reply.json["usage"] as? [String: Any]
            #expect(usage?["prompt_tokens"] as? Int == expected.promptTokens)
            #expect(usage?["completion_tokens"] as? Int == expected.tokens.count)
            #expect(reply.json["object"] as? String == "chat.completion")
        }
    }

    @Test func responseFormatConstrainsTheAnswerToTheSchemaBlockingAndStreamed() async throws {
        let format = #""response_format": {"type": "json_schema", "json_schema": {"name": "city", "strict": true, "schema": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}, "population": {"type": "integer"}}, "required": ["city", "population"], "additionalProperties": false}}}"#
        try await WorkerHarness.with { worker in
            let reply = try await worker.post("/v1/chat/completions", Self.question + ", " + format + "}")
            #expect(reply.status == 200)
            let content = ((reply.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String ?? ""
            let object = try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any]
            #expect(object?["city"] is String && object?["population"] is Int, "\(content)")
            #expect(Set(object?.keys.map { $0 } ?? []) == ["city", "population"])
            let stream = try await worker.post("/v1/chat/completions", Self.question + ", " + format + #", "stream": true}"#)
            let text = stream.events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(text == content)
            let anyObject = try await worker.post("/v1/completions", #"{"model": "smollm2-135m", "prompt": "A cat:", "max_tokens": 40, "response_format": {"type": "json_object"}}"#)
            let completion = (anyObject.json["choices"] as? [[String: Any]])?.first?["text"] as? String ?? ""
            #expect(try JSONSerialization.jsonObject(with: Data(completion.utf8)) is [String: Any], "\(completion)")
        }
    }

    @Test func aSchemaTheMatcherLacksOrABudgetTooSmallIsRefusedByName() async throws {
        try await WorkerHarness.with { worker in
            let pattern = try await worker.post("/v1/chat/completions", Self.question + #", "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"code": {"type": "string", "pattern": "^A"}}}}}}"#)
            #expect(pattern.status == 400)
            let error = pattern.json["error"] as? [String: Any]
            #expect(error?["param"] as? String == "response_format")
            #expect((error?["message"] as? String)?.contains("keyword 'pattern'") == true)
            let tight = try await worker.post("/v1/chat/completions", Self.question.replacingOccurrences(of: "\"max_tokens\": 24", with: "\"max_tokens\": 3") + #", "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a_long_property_name": {"type": "string"}}, "required": ["a_long_property_name"]}}}}"#)
            #expect(tight.status == 400)
            #expect(((tight.json["error"] as? [String: Any])?["message"] as? String)?.contains("below the") == true)
            let unknown = try await worker.post("/v1/chat/completions", Self.question + #", "response_format": {"type": "yaml"}}"#)
            #expect(unknown.status == 400)
        }
    }

    static let tools = #""tools": [{"type": "function", "function": {"name": "calculator", "description": "Evaluates arithmetic.", "parameters": {"type": "object", "properties": {"expression": {"type": "string", "maxLength": 40}}, "required": ["expression"]}}}, {"type": "function", "function": {"name": "current_time", "description": "The time now.", "parameters": {"type": "object", "properties": {"timezone": {"type": "string", "maxLength": 30}}, "required": []}}}]"#

    @Test func toolCallsComeBackAsOpenAIToolCallsWithArgumentsTheirSchemaAccepts() async throws {
        let ask = #"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "What is 17 times 23?"}], "temperature": 0, "max_tokens": 60, "tool_choice": "required", "#
        try await WorkerHarness.with { worker in
            let reply = try await worker.post("/v1/chat/completions", ask + Self.tools + "}")
            #expect(reply.status == 200)
            let choice = (reply.json["choices"] as? [[String: Any]])?.first
            #expect(choice?["finish_reason"] as? String == "tool_calls")
            let call = ((choice?["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]])?.first
            let function = call?["function"] as? [String: Any]
            let name = function?["name"] as? String ?? ""
            #expect(["calculator", "current_time"].contains(name))
            let arguments = try JSONSerialization.jsonObject(with: Data((function?["arguments"] as? String ?? "").utf8)) as? [String: Any]
            if name == "calculator" { #expect(arguments?["expression"] is String) }
            #expect((call?["id"] as? String)?.hasPrefix("call_") == true)

            // A named tool is the one called; streamed, the call arrives as one tool_calls delta.
            let named = ask.replacingOccurrences(of: #""tool_choice": "required""#, with: #""stream": true, "tool_choice": {"type": "function", "function": {"name": "current_time"}}"#)
            let stream = try await worker.post("/v1/chat/completions", named + Self.tools + "}")
            let chunks = stream.events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let calls = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] }
            #expect(calls.count == 1)
            #expect((calls.first?.first?["function"] as? [String: Any])?["name"] as? String == "current_time")
            #expect(chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }.last == "tool_calls")

            // After the tool's result the model may answer in text.
            let followUp = #"{"model": "smollm2-135m", "temperature": 0, "max_tokens": 40, "messages": [{"role": "user", "content": "What is 17 times 23?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "calculator", "arguments": "{\"expression\":\"17*23\"}"}}]}, {"role": "tool", "tool_call_id": "call_1", "content": "391"}], "#
            let answer = try await worker.post("/v1/chat/completions", followUp + Self.tools + "}")
            #expect(answer.status == 200)
            let message = (answer.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
            #expect(message?["content"] is String || message?["tool_calls"] is [[String: Any]])
        }
    }

    @Test func toolsWithAnUnsupportedSchemaOrAnUnknownChoiceAreRefused() async throws {
        try await WorkerHarness.with { worker in
            let pattern = #"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string", "pattern": "x"}}}}}]}"#
            let refused = try await worker.post("/v1/chat/completions", pattern)
            #expect(refused.status == 400 && ((refused.json["error"] as? [String: Any])?["message"] as? String)?.contains("keyword 'pattern'") == true)
            let unknown = pattern.replacingOccurrences(of: #"{"a": {"type": "string", "pattern": "x"}}"#, with: "{}").replacingOccurrences(of: "]}", with: #"], "tool_choice": {"type": "function", "function": {"name": "g"}}}"#)
            let choice = try await worker.post("/v1/chat/completions", unknown)
            #expect(choice.status == 400 && ((choice.json["error"] as? [String: Any])?["param"] as? String) == "tool_choice", "\(choice.json)")
        }
    }

    @Test func streamedChatSendsTheRoleThenTheSameTextThenDone() async throws {
        try await WorkerHarness.with { worker in
            let whole = try await worker.post("/v1/chat/completions", Self.question + "}")
            let stream = try await worker.post("/v1/chat/completions", Self.question + #", "stream": true, "stream_options": {"include_usage": true}}"#)
            #expect(stream.status == 200)
            #expect(stream.headers.first(name: "content-type") == "text/event-stream")
            let events = stream.events
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(chunks.count == events.count - 1)
            let deltas = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
            #expect(deltas.first?["role"] as? String == "assistant")
            let text = deltas.compactMap { $0["content"] as? String }.joined()
            let expected = ((whole.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            #expect(text == expected)
            let usage = chunks.last?["usage"] as? [String: Any]
            #expect(usage?["completion_tokens"] as? Int == (whole.json["usage"] as? [String: Any])?["completion_tokens"] as? Int)
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        }
    }

    @Test func completionsAnswerBlockingAndStreamedAlike() async throws {
        try await WorkerHarness.with { worker in
            let body = #"{"model": "smollm2-135m", "prompt": "The three primary colours are", "temperature": 0, "max_tokens": 16"#
            let whole = try await worker.post("/v1/completions", body + "}")
            #expect(whole.status == 200)
            let expected = try worker.greedy("The three primary colours are", maxTokens: 16)
            #expect((whole.json["choices"] as? [[String: Any]])?.first?["text"] as? String == expected.text)
            let stream = try await worker.post("/v1/completions", body + #", "stream": true}"#)
            let pieces = stream.events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }
            #expect(pieces.joined() == expected.text)
            #expect(stream.events.last == "[DONE]")
        }
    }

    @Test func stopStringsEndTheTextBeforeThem() async throws {
        try await WorkerHarness.with { worker in
            let reply = try await worker.post("/v1/completions", #"{"model": "smollm2-135m", "prompt": "1, 2, 3, 4,", "temperature": 0, "max_tokens": 30, "stop": [" 7"]}"#)
            let choice = (reply.json["choices"] as? [[String: Any]])?.first
            #expect(choice?["text"] as? String == " 5, 6,")
            #expect(choice?["finish_reason"] as? String == "stop")
        }
    }

    @Test func embeddingsEqualTheEncodersAndKeepTheInputOrder() async throws {
        try await WorkerHarness.with { worker in
            let texts = ["A man is eating food.", "short", "A much longer sentence about the weather in the mountains during the spring."]
            let input = String(data: try JSONSerialization.data(withJSONObject: texts), encoding: .utf8)!
            let reply = try await worker.post("/v1/embeddings", #"{"model": "minilm-l6", "input": \#(input)}"#)
            #expect(reply.status == 200)
            let data = reply.json["data"] as? [[String: Any]] ?? []
            #expect(data.map { $0["index"] as? Int } == [0, 1, 2])
            let encoder = worker.models.embedding["minilm-l6"]!.encoder
            for (text, item) in zip(texts, data) {
                let expected = encoder.embed([text]).vectors[0]
                let vector = (item["embedding"] as? [Double]) ?? []
                #expect(vector.count == 384)
                #expect(zip(vector, expected).map { abs($0 - Double($1)) }.max() ?? 1 < 1e-5, "\(text)")
            }
            let one = try await worker.post("/v1/embeddings", #"{"model": "minilm-l6", "input": "short"}"#)
            #expect((one.json["data"] as? [[String: Any]])?.count == 1)
            #expect(((one.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int ?? 0) == 3)
        }
    }

    @Test func aWorkerServingOnlyAnEmbeddingModelEmbedsAndKnowsNoChatModel() async throws {
        try await WorkerHarness.with(serving: { $0.kind == .embedding }) { worker in
            let models = try await worker.get("/v1/models")
            #expect((models.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["minilm-l6"])
            let reply = try await worker.post("/v1/embeddings", #"{"model": "minilm-l6", "input": ["one text", "and another"]}"#)
            #expect(reply.status == 200)
            let vectors = (reply.json["data"] as? [[String: Any]] ?? []).compactMap { $0["embedding"] as? [Double] }
            let expected = worker.models.embedding["minilm-l6"]!.encoder.embed(["one text", "and another"]).vectors
            #expect(vectors.count == 2)
            for (vector, reference) in zip(vectors, expected) {
                #expect(zip(vector, reference).map { abs($0 - Double($1)) }.max() ?? 1 < 1e-5)
            }
            let chat = try await worker.post("/v1/chat/completions", #"{"model": "smollm2-135m", "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(chat.status == 404)
            #expect(chat.errorCode == "model_not_found")
        }
    }

    @Test func modelsHealthAndMetricsDescribeTheWorker() async throws {
        try await WorkerHarness.with { worker in
            let models = try await worker.get("/v1/models")
            #expect(((models.json["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String } == ["minilm-l6", "smollm2-135m"])
            #expect(try await worker.get("/healthz").status == 200)
            _ = try await worker.post("/v1/completions", #"{"model": "smollm2-135m", "prompt": "Hi", "max_tokens": 3, "temperature": 0}"#)
            let metrics = try await worker.get("/metrics").text
            #expect(metrics.contains(#"loom_worker_completion_tokens_total{model="smollm2-135m"} 3"#))
            #expect(metrics.contains("loom_worker_requests_total"))
        }
    }
}
