import ArgumentParser
import Foundation
import LoomWorkflow

struct FinetuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune the bundled chat model on the approved samples of a samples dataset (LoRA, on the workers' CPUs).",
        subcommands: [Create.self, List.self, Show.self, Watch.self, Cancel.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a fine-tune job; prints its id (then `loom finetune watch ID`).")
        @Option(help: "The base model.") var model = "smollm2-135m"
        @Option(help: "The samples dataset, NAME or NAME@VERSION (default: its latest version).") var dataset: String
        @Option(help: "Passes over the data.") var epochs: Int?
        @Option(help: "LoRA rank (alpha defaults to twice the rank).") var loraRank: Int?
        @Option(help: "LoRA alpha.") var loraAlpha: Double?
        @Option(help: "Peak learning rate (default 1e-3).") var learningRate: Double?
        @Option(help: "Sequences per optimiser step (their gradients are accumulated).") var batchSize: Int?
        @Option(help: "Share of the samples held out for the validation loss (default 0.1).") var validationSplit: Double?
        @Option(help: "A samples dataset to validate on instead of a split, NAME or NAME@VERSION.") var validation: String?
        @Option(help: "The tuned model is named MODEL:ft-SUFFIX (default: the job id).") var suffix: String?
        @Option(help: "Seed of the adapter's initialisation and the data order.") var seed: Int?
        @Flag(help: "Follow the job until it ends, as `watch` does.") var watch = false
        @OptionGroup var server: ServerOptions

        func run() async throws {
            var hyperparameters: [String: Value] = [:]
            if let epochs { hyperparameters["n_epochs"] = .int(epochs) }
            if let loraRank { hyperparameters["lora_rank"] = .int(loraRank) }
            if let loraAlpha { hyperparameters["lora_alpha"] = .double(loraAlpha) }
            if let learningRate { hyperparameters["learning_rate"] = .double(learningRate) }
            if let batchSize { hyperparameters["batch_size"] = .int(batchSize) }
            if let validationSplit { hyperparameters["validation_split"] = .double(validationSplit) }
            var body: [String: Value] = ["model": .string(model), "dataset": .string(dataset), "hyperparameters": .object(hyperparameters)]
            if let validation { body["validation"] = .string(validation) }
            if let suffix { body["suffix"] = .string(suffix) }
            if let seed { body["seed"] = .int(seed) }
            let job = try await server.client().send(.POST, "/v1/fine_tuning/jobs", body: JSONWriter.bytes(.object(body)))
            if server.json { print(JSONWriter.string(job)) }
            let id = job[path: ["id"]]?.text ?? "?"
            if job[path: ["status"]]?.text == "failed" {
                throw ValidationError("fine-tune job \(id) failed: \(job[path: ["error", "message"]]?.text ?? "no reason given")")
            }
            if !server.json {
                print("\(id) \(job[path: ["status"]]?.text ?? "") on \(job[path: ["training_file"]]?.text ?? dataset); follow it with `loom finetune watch \(id)`")
            }
            if watch { try await Watch.follow(id, server: server) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fine-tune jobs, newest first.")
        @Option(help: "At most this many.") var limit = 20
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/v1/fine_tuning/jobs?limit=\(limit)")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { job in
                [
                    job[path: ["id"]]?.text ?? "", job[path: ["status"]]?.text ?? "", job[path: ["model"]]?.text ?? "",
                    job[path: ["training_file"]]?.text ?? "", Self.progress(job), job[path: ["fine_tuned_model"]]?.text ?? "",
                ]
            }
            print(TextTable.render(["ID", "STATUS", "MODEL", "DATASET", "PROGRESS", "FINE-TUNED MODEL"], rows))
        }

        static func progress(_ job: Value) -> String {
            guard let step = job[path: ["progress", "step"]]?.text, let total = job[path: ["progress", "total_steps"]]?.text else { return "" }
            return "\(step)/\(total)"
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A job: status, hyper-parameters, progress, checkpoints, the tuned model.")
        @Argument var id: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let client = server.client()
            let job = try await client.send(.GET, "/v1/fine_tuning/jobs/\(id)")
            let checkpoints = try await client.send(.GET, "/v1/fine_tuning/jobs/\(id)/checkpoints")
            guard !server.json else { return print(JSONWriter.string(["job": job, "checkpoints": checkpoints])) }
            for key in ["id", "status", "model", "training_file", "validation_file", "fine_tuned_model", "trained_tokens", "seed", "attempts"] {
                if let value = job[path: [key]], value != .null { print("\(key): \(value.text)") }
            }
            if let error = job[path: ["error", "message"]]?.text { print("error: \(error)") }
            print("hyperparameters: \(JSONWriter.string(job[path: ["hyperparameters"]] ?? .null))")
            if let progress = job[path: ["progress"]], progress != .object([:]) { print("progress: \(JSONWriter.string(progress))") }
            for checkpoint in checkpoints[path: ["data"]]?.arrayValue ?? [] {
                print("checkpoint step \(checkpoint[path: ["step_number"]]?.text ?? "?"): \(checkpoint[path: ["path"]]?.text ?? "")")
            }
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a job live: step, epoch, loss, validation loss, tokens/s, ETA; exits when it ends.")
        @Argument var id: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            try await Self.follow(id, server: server)
        }

        /// Polls the job's events once a second, printing each message, and redraws a progress bar on a terminal.
        static func follow(_ id: String, server: ServerOptions) async throws {
            let client = server.client()
            let terminal = isatty(STDOUT_FILENO) == 1
            var after = ""
            var validation = "–"
            while true {
                let events = try await client.send(.GET, "/v1/fine_tuning/jobs/\(id)/events?limit=1000\(after.isEmpty ? "" : "&after=\(after)")")
                for event in events[path: ["data"]]?.arrayValue ?? [] {
                    after = event[path: ["id"]]?.text ?? after
                    if let loss = event[path: ["data", "valid_loss"]]?.numberValue { validation = String(format: "%.4f", loss) }
                    // Step events feed the bar on a terminal; elsewhere (logs, CI) every event is a line.
                    if terminal && event[path: ["data", "step"]] != nil && event[path: ["data", "valid_loss"]] == nil { continue }
                    if terminal { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
                    print(event[path: ["message"]]?.text ?? "")
                }
                let job = try await client.send(.GET, "/v1/fine_tuning/jobs/\(id)")
                let status = job[path: ["status"]]?.text ?? "?"
                if terminal, let bar = bar(job[path: ["progress"]], validation: validation) {
                    // Unbuffered: a line without its newline would wait in print's buffer.
                    FileHandle.standardOutput.write(Data("\r\u{1B}[K\(bar)".utf8))
                }
                switch status {
                case "succeeded":
                    if terminal { print("") }
                    print("succeeded: \(job[path: ["fine_tuned_model"]]?.text ?? "") (\(job[path: ["trained_tokens"]]?.text ?? "?") tokens trained)")
                    return
                case "failed":
                    if terminal { print("") }
                    throw ValidationError("fine-tune job \(id) failed: \(job[path: ["error", "message"]]?.text ?? "no reason given")")
                case "cancelled":
                    if terminal { print("") }
                    print("cancelled")
                    return
                default:
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }

        static func bar(_ progress: Value?, validation: String) -> String? {
            guard let progress, let step = progress[path: ["step"]]?.numberValue, let total = progress[path: ["total_steps"]]?.numberValue, total > 0 else { return nil }
            let width = 24
            let filled = Int(Double(width) * step / total)
            let eta = Int(progress[path: ["eta_seconds"]]?.numberValue ?? 0)
            return String(
                format: "[%@%@] step %d/%d · epoch %d · loss %.4f · val %@ · %.0f tok/s · ETA %d:%02d", String(repeating: "#", count: filled),
                String(repeating: ".", count: width - filled), Int(step), Int(total), Int(progress[path: ["epoch"]]?.numberValue ?? 0),
                progress[path: ["train_loss"]]?.numberValue ?? .nan, validation, progress[path: ["tokens_per_second"]]?.numberValue ?? 0, eta / 60, eta % 60)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job: at once if it has not started, else within a training step.")
        @Argument var id: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let job = try await server.client().send(.POST, "/v1/fine_tuning/jobs/\(id)/cancel")
            guard !server.json else { return print(JSONWriter.string(job)) }
            let status = job[path: ["status"]]?.text ?? "?"
            print(status == "running" ? "\(id): cancellation requested; the worker stops after its current step" : "\(id): \(status)")
        }
    }
}
