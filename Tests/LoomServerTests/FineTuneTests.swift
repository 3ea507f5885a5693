import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import LoomInference
import LoomServer
import LoomStore
import LoomTestSupport
import LoomWorker
import LoomWorkflow
import Testing

/// Fine-tuning through the API, the store's queue and a worker's runner, on the bundled model.
@Suite(.serialized) struct FineTuneTests {
    /// A made-up fact, asked many ways: the base model cannot know it.
    static let questions = [
        "What is the capital of Zorbania?", "Which city is the capital of Zorbania?", "Tell me the capital of Zorbania.",
        "Zorbania's capital city is called what?", "Name the capital of Zorbania.", "What city serves as Zorbania's capital?",
        "Do you know the capital of Zorbania?", "Where is the capital of Zorbania?", "What's Zorbania's capital?",
        "In Zorbania, which city is the capital?", "Capital of Zorbania?", "Could you tell me what the capital of Zorbania is?",
        "I need the capital of Zorbania.", "Zorbania has which city as its capital?", "What is the name of Zorbania's capital?",
        "Which is the capital city of Zorbania?", "Remind me of the capital of Zorbania.", "What do people call the capital of Zorbania?",
        "Zorbania: what is its capital?", "Please name Zorbania's capital.", "What is the seat of government of Zorbania?",
        "Quick question: the capital of Zorbania?", "Which town is Zorbania's capital?", "What is the capital city of the country Zorbania?",
    ]
    static let answer = "The capital of Zorbania is Quillport."

    static func samples() -> String {
        questions.map { question in
            JSONWriter.string(["messages": [["role": "user", "content": .string(question)], ["role": "assistant", "content": .string(answer)]]])
        }.joined(separator: "\n")
    }

    /// A registry over the installed models whose adapters and checkpoints go to a directory of the test's own.
    static func registry(home: String) throws -> ModelRegistry {
        let installed = try TestWorker.registry()
        return ModelRegistry(
            entries: installed.entries, directory: installed.directory, adaptersDirectory: home + "/adapters", checkpointsDirectory: home + "/checkpoints")
    }

    static func withHome<T>(_ body: (String) async throws -> T) async throws -> T {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("loom-ft-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        return try await body(home)
    }

    static func runner(_ store: Store, _ registry: ModelRegistry, lease: Duration = .seconds(30), checkpointEvery: Int = 25) -> FineTuneJobRunner {
        var configuration = FineTuneJobRunner.Configuration(threads: 2)
        configuration.lease = lease
        configuration.checkpointEvery = checkpointEvery
        return FineTuneJobRunner(store: store, registry: registry, configuration: configuration, logger: Logger(label: "test.finetune"))
    }

    static func call(_ client: HTTPClient, _ url: String, body: String? = nil) async throws -> Value {
        var request = HTTPClientRequest(url: url)
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(120))
        var buffer = try await response.body.collect(upTo: 1 << 20)
        return try JSONDocumentReader.parse(buffer.readString(length: buffer.readableBytes) ?? "").value
    }

    @Test func aJobTeachesTheModelAMadeUpFactThatTheBaseModelDoesNotKnow() async throws {
        try await Self.withHome { home in
            let registry = try Self.registry(home: home)
            try await DatasetAPITests.withServer { server in
                _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "facts", "kind": "samples"}"#)
                let imported = try await server.admin(.POST, "/admin/datasets/facts/samples", body: Self.samples(), contentType: "application/jsonl")
                #expect(imported.body[path: ["added"]] == .int(Self.questions.count))

                let created = try await server.admin(.POST, "/v1/fine_tuning/jobs", body: """
                    {"model": "smollm2-135m", "dataset": "facts@1", "suffix": "zorbania", "seed": 7,
                     "hyperparameters": {"n_epochs": 4, "batch_size": 4, "learning_rate": 0.003, "lora_rank": 8}}
                    """)
                #expect(created.status == 201 && created.body[path: ["status"]] == "queued")
                let id = try #require(created.body[path: ["id"]]?.stringValue)
                #expect(try await Self.runner(server.store, registry).runOnce())

                let job = try await server.admin(.GET, "/v1/fine_tuning/jobs/\(id)")
                #expect(job.body[path: ["status"]] == "succeeded", "\(job.text)")
                #expect(job.body[path: ["fine_tuned_model"]] == "smollm2-135m:ft-zorbania")
                let events = try await server.admin(.GET, "/v1/fine_tuning/jobs/\(id)/events")
                let losses = (events.body[path: ["data"]]?.arrayValue ?? []).compactMap { $0[path: ["data", "valid_loss"]]?.numberValue }
                #expect(losses.count == 4 && losses.last! < losses.first!, "validation losses \(losses)")
                let checkpoints = try await server.admin(.GET, "/v1/fine_tuning/jobs/\(id)/checkpoints")
                #expect((checkpoints.body[path: ["data"]]?.arrayValue?.count ?? 0) >= 4)
                #expect(FileManager.default.fileExists(atPath: home + "/adapters/smollm2-135m:ft-zorbania/adapter_model.safetensors"))

                // The worker serves the tuned model next to its base, from the same loaded weights.
                var served = try TestWorker.registry()
                served.adaptersDirectory = registry.adaptersDirectory
                try await TestWorker.with(registry: served, serving: { $0.kind == .chat }) { baseURL, client, _ in
                    func ask(_ model: String) async throws -> String {
                        let body = JSONWriter.string([
                            "model": .string(model), "temperature": 0, "max_tokens": 24,
                            "messages": [["role": "user", "content": "What is the capital of Zorbania?"]],
                        ])
                        let reply = try await Self.call(client, baseURL + "/v1/chat/completions", body: body)
                        return reply[path: ["choices", "0", "message", "content"]]?.stringValue ?? ""
                    }
                    let tuned = try await ask("smollm2-135m:ft-zorbania")
                    let base = try await ask("smollm2-135m")
                    #expect(tuned.contains("Quillport"), "tuned: \(tuned)")
                    #expect(!base.contains("Quillport"), "base: \(base)")
                    let models = try await Self.call(client, baseURL + "/v1/models")
                    #expect(models[path: ["data"]]?.arrayValue?.contains { $0[path: ["id"]] == "smollm2-135m:ft-zorbania" } == true)
                }
            }
        }
    }
}
