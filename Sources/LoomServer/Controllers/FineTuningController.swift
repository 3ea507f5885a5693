import Foundation
import Hummingbird
import LoomInference
import LoomStore
import LoomWorker
import LoomWorkflow

/// Fine-tune jobs in OpenAI's shape (`/v1/fine_tuning/jobs`), with the admin token. A job names a version of a
/// samples dataset (`support@4`, or the latest); creating one checks the request at once (base model,
/// hyper-parameters, dataset), then the data (`validating_files`): a job whose data cannot train is recorded as
/// failed with the reason, else it is queued for a worker.
struct FineTuningController: Sendable {
    let auth: Authenticator
    let store: Store
    let configuration: ServerConfiguration

    func create(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        let known: Set = ["model", "training_file", "dataset", "validation_file", "validation", "hyperparameters", "suffix", "seed", "method", "metadata"]
        if let unknown = body.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.invalidParam("unknown field '\(unknown)'; expected \(known.sorted().joined(separator: ", "))")
        }
        guard let model = try body.text("model") else { throw APIError.invalidParam("'model' names the base model, such as smollm2-135m") }
        let registry = try? ModelRegistry.load()
        guard let entry = registry?.entry(model), entry.kind == .chat else {
            let chat = registry?.entries.filter { $0.kind == .chat }.map(\.name) ?? []
            throw APIError(
                .badRequest, "model_not_available", "unknown base model '\(model)'; fine-tuning runs on: \(chat.joined(separator: ", "))",
                extra: ["param": "model"])
        }
        let values = try body.object("hyperparameters")
        let hyperparameters: FineTuneHyperparameters
        do throws(FineTuneFailure) {
            hyperparameters = try FineTuneHyperparameters(values: values)
        } catch {
            throw APIError(.badRequest, error.code, error.message, extra: ["param": .string(error.param ?? "hyperparameters")])
        }
        guard let reference = try body.text("dataset") ?? body.text("training_file") else {
            throw APIError.invalidParam("'dataset' (or 'training_file') names a samples dataset: NAME or NAME@VERSION")
        }
        let dataset = try await samplesDataset(reference, field: "dataset")
        let validation = try body.text("validation") ?? body.text("validation_file")
        let validationDataset = try await validation.asyncMap { try await samplesDataset($0, field: "validation") }
        let suffix = try body.text("suffix")
        if let suffix {
            guard (1...40).contains(suffix.count), suffix.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
                throw APIError(.badRequest, "invalid_param", "'suffix' is 1–40 lowercase letters, digits and hyphens, not '\(suffix)'", extra: ["param": "suffix"])
            }
            let name = FineTunedModelName.make(base: model, suffix: suffix)
            if try await store.fineTunes.suffixInUse(model: model, suffix: suffix) {
                throw APIError(.conflict, "conflict", "\(name) exists or is being trained; choose another suffix")
            }
        }
        let seed: Int64
        switch body["seed"] {
        case nil, .null?: seed = Int64.random(in: 0...Int64(Int32.max))
        case .int(let value)?: seed = Int64(value)
        default: throw APIError.invalidParam("'seed' must be an integer")
        }
        let job = try await store.fineTunes.create(FineTuneJobInput(
            model: model, dataset: dataset.record, datasetVersion: dataset.version, validation: validationDataset.map { ($0.record, $0.version) },
            hyperparameters: hyperparameters.values, suffix: suffix, seed: seed))
        var problem = try await problem(with: dataset, model: entry)
        if problem == nil, let validationDataset { problem = try await self.problem(with: validationDataset, model: entry) }
        if let problem {
            try await store.fineTunes.fail(job.id, owner: nil, code: "invalid_training_file", message: problem, param: "training_file")
        } else {
            try await store.fineTunes.queue(job.id, examples: try await store.samples.counts(dataset.record, version: dataset.version)[.approved] ?? 0)
        }
        return JSONResponse.make(Self.json(try await store.fineTunes.get(job.id)), status: .created)
    }

    /// `NAME` or `NAME@VERSION` of a samples dataset with at least one version.
    private func samplesDataset(_ reference: String, field: String) async throws -> (record: DatasetRecord, version: Int) {
        let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let record = try await store.datasets.get(name)
        guard record.kind == .samples else {
            throw APIError(.badRequest, "invalid_param", "'\(name)' is a \(record.kind.rawValue) dataset; fine-tuning trains on a samples dataset", extra: ["param": .string(field)])
        }
        var version: Int?
        if parts.count == 2 {
            guard let number = Int(parts[1]) else { throw APIError.invalidParam("'\(reference)': the version after @ is a number") }
            version = number
        }
        guard record.latestVersion > 0 else {
            throw APIError(.badRequest, "invalid_training_file", "dataset '\(name)' is empty: import or annotate samples first", extra: ["param": .string(field)])
        }
        return (record, try store.datasets.resolve(record, version: version))
    }

    /// Why a dataset version cannot train the model, if it cannot: no approved samples, or records too long (counted
    /// once the model is installed here; the worker checks again before training).
    private func problem(with dataset: (record: DatasetRecord, version: Int), model entry: ModelRegistry.Entry) async throws -> String? {
        let samples = try await store.samples.list(dataset.record, version: dataset.version, status: .approved)
        do throws(FineTuneFailure) {
            if let model = TrainingTokenizer.model(entry.name) {
                _ = try TrainingSet.examples(samples, dataset: dataset.record.name, version: dataset.version, model: model)
            } else {
                try TrainingSet.requireSamples(samples, dataset: dataset.record.name, version: dataset.version)
            }
            return nil
        } catch {
            return error.message
        }
    }

    func list(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let limit = min(max(request.query("limit").flatMap(Int.init) ?? 20, 1), 100)
        let jobs = try await store.fineTunes.list(after: request.query("after"), limit: limit + 1)
        return JSONResponse.make(["object": "list", "data": .array(jobs.prefix(limit).map(Self.json)), "has_more": .bool(jobs.count > limit)])
    }

    func show(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        return JSONResponse.make(Self.json(try await store.fineTunes.get(try id(context))))
    }

    func cancel(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let job = try await store.fineTunes.get(try id(context))
        guard !job.status.isFinal else {
            throw APIError(.conflict, "conflict", "job \(job.id) already \(job.status.rawValue); only a job that has not finished can be cancelled")
        }
        return JSONResponse.make(Self.json(try await store.fineTunes.cancel(job.id)))
    }

    /// Oldest first; `?after=EVENT_ID` gives the newer ones only (how `loom finetune watch` follows a job).
    func events(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let limit = min(max(request.query("limit").flatMap(Int.init) ?? 100, 1), 1000)
        let after = request.query("after").flatMap { Int64($0.replacingOccurrences(of: "ftevent-", with: "")) } ?? 0
        let events = try await store.fineTunes.events(try id(context), after: after, limit: limit + 1)
        return JSONResponse.make([
            "object": "list", "has_more": .bool(events.count > limit),
            "data": .array(events.prefix(limit).map { event in
                [
                    "object": "fine_tuning.job.event", "id": .string("ftevent-\(event.id)"), "created_at": .int(Int(event.createdAt.timeIntervalSince1970)),
                    "level": .string(event.level), "message": .string(event.message), "data": event.data.map(Value.object) ?? .null,
                    "type": .string(event.data?["step"] != nil || event.data?["valid_loss"] != nil ? "metrics" : "message"),
                ]
            }),
        ])
    }

    func checkpoints(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let id = try id(context)
        let checkpoints = try await store.fineTunes.checkpoints(id)
        return JSONResponse.make([
            "object": "list", "has_more": false,
            "data": .array(checkpoints.map { checkpoint in
                [
                    "object": "fine_tuning.job.checkpoint", "id": .string(checkpoint.id), "fine_tuning_job_id": .string(id),
                    "created_at": .int(Int(checkpoint.createdAt.timeIntervalSince1970)), "step_number": .int(checkpoint.step),
                    "metrics": .object(checkpoint.metrics), "path": .string(checkpoint.path), "sha256": .string(checkpoint.sha256),
                ]
            }),
        ])
    }

    private func id(_ context: LoomRequestContext) throws -> String {
        guard let id = context.parameters.get("id") else { throw APIError.notFound("no job id in the path") }
        return id
    }

    static func json(_ job: FineTuneJobRecord) -> Value {
        func time(_ date: Date?) -> Value { date.map { .int(Int($0.timeIntervalSince1970)) } ?? .null }
        return [
            "object": "fine_tuning.job", "id": .string(job.id), "model": .string(job.model), "status": .string(job.status.rawValue),
            "training_file": .string("\(job.dataset)@\(job.datasetVersion)"),
            "validation_file": job.validationDataset.map { .string("\($0)@\(job.validationVersion ?? 0)") } ?? .null,
            "hyperparameters": .object(job.hyperparameters), "suffix": job.suffix.map(Value.string) ?? .null, "seed": .int(Int(job.seed)),
            "fine_tuned_model": job.fineTunedModel.map(Value.string) ?? .null, "trained_tokens": .int(job.trainedTokens),
            "error": job.error.map(Value.object) ?? .null, "created_at": time(job.createdAt), "started_at": time(job.startedAt),
            "finished_at": time(job.finishedAt), "progress": .object(job.progress), "attempts": .int(job.attempts),
            "cancel_requested": .bool(job.cancelRequested),
        ]
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
