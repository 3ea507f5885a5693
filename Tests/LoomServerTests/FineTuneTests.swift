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

    @Test func badRequestsAreRefusedAndDataThatCannotTrainFailsTheJobClearly() async throws {
        try await DatasetAPITests.withServer { server in
            _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "facts", "kind": "samples"}"#)
            _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "docs"}"#)
            func create(_ body: String) async throws -> ServerHarness.Reply { try await server.admin(.POST, "/v1/fine_tuning/jobs", body: body) }

            let unknownModel = try await create(#"{"model": "gpt-9", "dataset": "facts"}"#)
            #expect(unknownModel.status == 400 && unknownModel.body[path: ["code"]] == "model_not_available")
            #expect(unknownModel.body[path: ["message"]]?.stringValue?.contains("smollm2-135m") == true)
            let ranges = try await create(#"{"model": "smollm2-135m", "dataset": "facts", "hyperparameters": {"n_epochs": 0, "learning_rate": 3, "lora_rank": 1000, "momentum": 1}}"#)
            #expect(ranges.status == 400 && ranges.body[path: ["code"]] == "invalid_hyperparameters")
            for name in ["n_epochs", "learning_rate", "lora_rank", "momentum"] {
                #expect(ranges.body[path: ["message"]]?.stringValue?.contains(name) == true, "\(name) in \(ranges.text)")
            }
            let empty = try await create(#"{"model": "smollm2-135m", "dataset": "facts"}"#)
            #expect(empty.status == 400 && empty.body[path: ["message"]]?.stringValue?.contains("empty") == true)
            let knowledge = try await create(#"{"model": "smollm2-135m", "dataset": "docs"}"#)
            #expect(knowledge.status == 400 && knowledge.body[path: ["message"]]?.stringValue?.contains("samples dataset") == true)
            let missing = try await create(#"{"model": "smollm2-135m", "dataset": "nowhere"}"#)
            #expect(missing.status == 404)

            // Only pending samples: the job is recorded, and fails saying why.
            _ = try await server.admin(.POST, "/admin/datasets/facts/samples?status=pending", body: Self.samples(), contentType: "application/jsonl")
            let pending = try await create(#"{"model": "smollm2-135m", "dataset": "facts"}"#)
            #expect(pending.status == 201 && pending.body[path: ["status"]] == "failed")
            #expect(pending.body[path: ["error", "code"]] == "invalid_training_file")
            #expect(pending.body[path: ["error", "message"]]?.stringValue?.contains("no approved samples") == true)

            // A record longer than the context (written past the import check, as an older import could have).
            let long = TrainingRecord.chat([.init(.user, String(repeating: "zorbania quillport ", count: 5000)), .init(.assistant, "Yes.")])
            _ = try await server.store.samples.add("facts", [SampleInput(record: long, status: .approved, source: [:])], message: "long")
            let tooLong = try await create(#"{"model": "smollm2-135m", "dataset": "facts"}"#)
            #expect(tooLong.body[path: ["status"]] == "failed")
            #expect(tooLong.body[path: ["error", "message"]]?.stringValue?.contains("longer than the model's context of 8192 tokens") == true, "\(tooLong.text)")
        }
    }

    @Test func aQueuedJobCancelsAtOnceAndAFinishedOneCannotBeCancelled() async throws {
        try await DatasetAPITests.withServer { server in
            _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "facts", "kind": "samples"}"#)
            _ = try await server.admin(.POST, "/admin/datasets/facts/samples", body: Self.samples(), contentType: "application/jsonl")
            let created = try await server.admin(.POST, "/v1/fine_tuning/jobs", body: #"{"model": "smollm2-135m", "dataset": "facts"}"#)
            let id = try #require(created.body[path: ["id"]]?.stringValue)
            let cancelled = try await server.admin(.POST, "/v1/fine_tuning/jobs/\(id)/cancel")
            #expect(cancelled.status == 200 && cancelled.body[path: ["status"]] == "cancelled")
            let again = try await server.admin(.POST, "/v1/fine_tuning/jobs/\(id)/cancel")
            #expect(again.status == 409)
            #expect(try await server.store.fineTunes.claim(owner: UUID(), lease: .seconds(30)) == nil, "a cancelled job is never claimed")
            let listed = try await server.admin(.GET, "/v1/fine_tuning/jobs")
            #expect(listed.body[path: ["data", "0", "id"]] == .string(id))
            #expect(try await server.admin(.GET, "/v1/fine_tuning/jobs/ftjob-nope").status == 404)
        }
    }

    @Test func twoWorkersRacingForOneJobGetItOnceAndALapsedLeaseLetsAnotherResume() async throws {
        try await Self.withHome { home in
            let registry = try Self.registry(home: home)
            try await DatasetAPITests.withServer { server in
                _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "facts", "kind": "samples"}"#)
                _ = try await server.admin(.POST, "/admin/datasets/facts/samples", body: Self.samples(), contentType: "application/jsonl")
                let store = server.store
                // Two racers, many rounds: each queued job goes to exactly one of them.
                for _ in 0..<5 {
                    let created = try await server.admin(.POST, "/v1/fine_tuning/jobs", body: #"{"model": "smollm2-135m", "dataset": "facts"}"#)
                    let id = try #require(created.body[path: ["id"]]?.stringValue)
                    async let first = store.fineTunes.claim(owner: UUID(), lease: .seconds(30))
                    async let second = store.fineTunes.claim(owner: UUID(), lease: .seconds(30))
                    let claims = [try await first, try await second].compactMap { $0 }
                    #expect(claims.count == 1 && claims.first?.id == id)
                    _ = try await server.admin(.POST, "/v1/fine_tuning/jobs/\(id)/cancel")
                }
                #expect(try await store.fineTunes.claim(owner: UUID(), lease: .seconds(30)) == nil)

                // Uninterrupted, then the same job killed after its first checkpoint and resumed by another runner.
                let body = #"{"model": "smollm2-135m", "dataset": "facts", "seed": 3, "hyperparameters": {"n_epochs": 1, "batch_size": 4, "validation_split": 0}, "suffix": "SUFFIX"}"#
                let whole = try await server.admin(.POST, "/v1/fine_tuning/jobs", body: body.replacingOccurrences(of: "SUFFIX", with: "whole"))
                #expect(try await Self.runner(store, registry, checkpointEvery: 2).runOnce())
                #expect(try await store.fineTunes.get(whole.body[path: ["id"]]!.stringValue!).status == .succeeded)

                let resumed = try await server.admin(.POST, "/v1/fine_tuning/jobs", body: body.replacingOccurrences(of: "SUFFIX", with: "resumed"))
                let id = try #require(resumed.body[path: ["id"]]?.stringValue)
                let doomed = Self.runner(store, registry, lease: .seconds(2), checkpointEvery: 2)
                let worker = Task { await doomed.run() }
                try await server.eventually(timeout: .seconds(300)) { try await !store.fineTunes.checkpoints(id).isEmpty }
                worker.cancel()  // the worker stops as a killed one would: the job stays running under a lease that lapses
                await worker.value
                let interrupted = try await store.fineTunes.get(id)
                #expect(interrupted.status == .running && (interrupted.progress["step"]?.numberValue ?? 0) < 6)
                let rescuer = Self.runner(store, registry, lease: .seconds(2), checkpointEvery: 2)
                var claimed = false
                for _ in 0..<50 where !claimed {
                    claimed = try await rescuer.runOnce()
                    if !claimed { try await Task.sleep(for: .milliseconds(200)) }
                }
                let finished = try await store.fineTunes.get(id)
                #expect(finished.status == .succeeded && finished.attempts == 2)
                let events = try await store.fineTunes.events(id)
                #expect(events.contains { $0.message.hasPrefix("Resuming from the checkpoint at step") })
                let a = FileManager.default.contents(atPath: home + "/adapters/smollm2-135m:ft-whole/adapter_model.safetensors")
                let b = FileManager.default.contents(atPath: home + "/adapters/smollm2-135m:ft-resumed/adapter_model.safetensors")
                #expect(a != nil && a == b, "the resumed job ends with the uninterrupted job's adapter, bit for bit")
            }
        }
    }

    @Test func aRunningJobStopsWithinAStepWhenCancelledAndAFullDiskFailsItClearly() async throws {
        try await Self.withHome { home in
            let registry = try Self.registry(home: home)
            try await DatasetAPITests.withServer { server in
                _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "facts", "kind": "samples"}"#)
                _ = try await server.admin(.POST, "/admin/datasets/facts/samples", body: Self.samples(), contentType: "application/jsonl")
                let body = #"{"model": "smollm2-135m", "dataset": "facts", "hyperparameters": {"n_epochs": 3, "batch_size": 2}}"#
                let created = try await server.admin(.POST, "/v1/fine_tuning/jobs", body: body)
                let id = try #require(created.body[path: ["id"]]?.stringValue)
                let runner = Task { try await Self.runner(server.store, registry).runOnce() }
                // A job that fails before its first step ends the wait too, and the expectations below say why.
                try await server.eventually(timeout: .seconds(300)) {
                    let job = try await server.store.fineTunes.get(id)
                    return job.progress["step"] != nil || job.status != .running && job.status != .queued
                }
                let cancelling = try await server.admin(.POST, "/v1/fine_tuning/jobs/\(id)/cancel")
                #expect(cancelling.body[path: ["status"]] == "running" && cancelling.body[path: ["cancel_requested"]] == true)
                _ = try await runner.value
                let cancelled = try await server.store.fineTunes.get(id)
                #expect(cancelled.status == .cancelled)
                #expect((cancelled.progress["step"]?.numberValue ?? 99) <= 4, "stopped within a step or two of the request, not at \(cancelled.progress)")

                // The first checkpoint's partial file leads to /dev/full: every write fails with ENOSPC.
                let second = try await server.admin(.POST, "/v1/fine_tuning/jobs", body: body)
                let secondId = try #require(second.body[path: ["id"]]?.stringValue)
                let directory = registry.checkpointsDirectory + "/" + secondId
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(atPath: directory + "/step-2.ckpt.partial", withDestinationPath: "/dev/full")
                #expect(try await Self.runner(server.store, registry, checkpointEvery: 2).runOnce())
                let failed = try await server.store.fineTunes.get(secondId)
                #expect(failed.status == .failed && failed.error?["code"] == "checkpoint_failed")
                #expect(failed.error?["message"]?.stringValue?.contains("No space left on device") == true, "\(failed.error ?? [:])")
                #expect(try await server.store.fineTunes.checkpoints(secondId).isEmpty)
            }
        }
    }
}
