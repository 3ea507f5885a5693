import Foundation
import LoomWorkflow
import PostgresNIO

/// Fine-tune jobs: created by the API, claimed by workers under a renewed lease, with their events and
/// checkpoints. Every transition checks the lease owner, so a worker that lost its job (its lease lapsed and
/// another worker took over) cannot overwrite the newer owner's state.
public struct FineTuneRepository: Sendable {
    let store: Store

    static let columns = """
        j.id, j.model, d.name, j.dataset_version, v.name, j.validation_version, j.hyperparameters::text, j.suffix, j.seed, j.status,
        j.fine_tuned_model, j.error::text, j.trained_tokens, j.progress::text, j.attempts, j.cancel_requested, j.created_at, j.started_at,
        j.finished_at
        """
    static let joins = "JOIN datasets d ON d.id = j.dataset_id LEFT JOIN datasets v ON v.id = j.validation_dataset_id"
    typealias Row = (String, String, String, Int, String?, Int?, String, String?, Int64, String, String?, String?, Int64, String, Int, Bool, Date, Date?, Date?)

    static func record(_ row: Row) -> FineTuneJobRecord {
        let object = { (text: String?) in text.flatMap { RunRepository.json($0)?.objectValue } }
        return FineTuneJobRecord(
            id: row.0, model: row.1, dataset: row.2, datasetVersion: row.3, validationDataset: row.4, validationVersion: row.5,
            hyperparameters: object(row.6) ?? [:], suffix: row.7, seed: row.8, status: FineTuneJobRecord.Status(rawValue: row.9) ?? .failed,
            fineTunedModel: row.10, error: object(row.11), trainedTokens: Int(row.12), progress: object(row.13) ?? [:], attempts: row.14,
            cancelRequested: row.15, createdAt: row.16, startedAt: row.17, finishedAt: row.18)
    }

    /// A new job, `validating_files` until the caller has checked its data (`queue` or `fail` next).
    public func create(_ input: FineTuneJobInput) async throws -> FineTuneJobRecord {
        let id = "ftjob-" + Hex.string((0..<12).map { _ in UInt8.random(in: 0...255) })
        let hyperparameters = JSONWriter.string(.object(input.hyperparameters))
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO fine_tune_jobs (id, model, dataset_id, dataset_version, validation_dataset_id, validation_version, hyperparameters,
                        suffix, seed, status)
                    VALUES (\(id), \(input.model), \(input.dataset.id), \(input.datasetVersion), \(input.validation?.dataset.id),
                        \(input.validation?.version), \(hyperparameters)::jsonb, \(input.suffix), \(input.seed), 'validating_files')
                    """, logger: store.logger)
                let message = "Validating training data: \(input.dataset.name)@\(input.datasetVersion)"
                try await connection.query(
                    "INSERT INTO fine_tune_events (job_id, level, message) VALUES (\(id), 'info', \(message))", logger: store.logger)
            }
        }
        return try await get(id)
    }

    /// Data checked: the job waits for a worker.
    public func queue(_ id: String, examples: Int) async throws {
        try await transition(id, to: .queued, from: [.validatingFiles], event: "Validated \(examples) training examples; the job is queued")
    }

    public func get(_ id: String) async throws -> FineTuneJobRecord {
        try await store.perform {
            for try await row in try await store.client.query(
                "SELECT \(unescaped: Self.columns) FROM fine_tune_jobs j \(unescaped: Self.joins) WHERE j.id = \(id)", logger: store.logger
            ).decode(Row.self) {
                return Self.record(row)
            }
            throw StoreError.jobNotFound(id)
        }
    }

    /// Newest first; `after` (a job id) pages on.
    public func list(after: String? = nil, limit: Int = 20) async throws -> [FineTuneJobRecord] {
        try await store.perform {
            var jobs: [FineTuneJobRecord] = []
            for try await row in try await store.client.query(
                """
                SELECT \(unescaped: Self.columns) FROM fine_tune_jobs j \(unescaped: Self.joins)
                WHERE \(after)::text IS NULL OR j.created_at < (SELECT created_at FROM fine_tune_jobs WHERE id = \(after))
                ORDER BY j.created_at DESC, j.id DESC LIMIT \(limit)
                """, logger: store.logger
            ).decode(Row.self) {
                jobs.append(Self.record(row))
            }
            return jobs
        }
    }

    /// Whether a job for this base model and suffix has made its model or may still make it.
    public func suffixInUse(model: String, suffix: String) async throws -> Bool {
        try await store.perform {
            for try await _ in try await store.client.query(
                """
                SELECT 1 FROM fine_tune_jobs
                WHERE model = \(model) AND suffix = \(suffix) AND status NOT IN ('failed', 'cancelled') LIMIT 1
                """, logger: store.logger
            ).decode(Int.self) {
                return true
            }
            return false
        }
    }

    /// The models succeeded jobs made, with their base models.
    public func fineTunedModels() async throws -> [(name: String, base: String, job: String)] {
        try await store.perform {
            var models: [(String, String, String)] = []
            for try await row in try await store.client.query(
                "SELECT fine_tuned_model, model, id FROM fine_tune_jobs WHERE status = 'succeeded' ORDER BY finished_at", logger: store.logger
            ).decode((String, String, String).self) {
                models.append(row)
            }
            return models.map { (name: $0.0, base: $0.1, job: $0.2) }
        }
    }

    /// Cancels a job: at once when it has not started, else by asking its worker, which stops within a step.
    public func cancel(_ id: String) async throws -> FineTuneJobRecord {
        let job = try await get(id)
        switch job.status {
        case .validatingFiles, .queued:
            try await transition(id, to: .cancelled, from: [.validatingFiles, .queued], event: "The job was cancelled before it started")
        case .running:
            try await store.perform {
                try await store.client.query(
                    "UPDATE fine_tune_jobs SET cancel_requested = true WHERE id = \(id) AND status = 'running'", logger: store.logger)
            }
            try await event(id, level: "info", message: "Cancellation requested; the worker stops after its current step")
        case .succeeded, .failed, .cancelled:
            throw StoreError.conflict("job \(id) already \(job.status.rawValue); only a job that has not finished can be cancelled")
        }
        return try await get(id)
    }

    /// Takes the oldest queued job, or a running one whose lease lapsed (its worker died), for `owner`. Running jobs
    /// asked to cancel whose worker is gone become cancelled here rather than being claimed.
    public func claim(owner: UUID, lease: Duration) async throws -> FineTuneJobRecord? {
        let seconds = Double(lease.components.seconds)
        return try await store.perform {
            try await store.client.query(
                """
                UPDATE fine_tune_jobs SET status = 'cancelled', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
                WHERE status = 'running' AND cancel_requested AND lease_expires_at < now()
                """, logger: store.logger)
            for try await row in try await store.client.query(
                """
                WITH next AS (
                    SELECT id FROM fine_tune_jobs WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < now())
                    ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1
                ), claimed AS (
                    UPDATE fine_tune_jobs j SET status = 'running', lease_owner = \(owner),
                        lease_expires_at = now() + make_interval(secs => \(seconds)), attempts = attempts + 1,
                        started_at = coalesce(started_at, now())
                    FROM next WHERE j.id = next.id RETURNING j.*
                )
                SELECT \(unescaped: Self.columns) FROM claimed j \(unescaped: Self.joins)
                """, logger: store.logger
            ).decode(Row.self) {
                return Self.record(row)
            }
            return nil
        }
    }

    public enum Heartbeat: Sendable, Equatable {
        case keepGoing
        case cancelRequested
        /// The lease lapsed and the job is no longer this worker's.
        case lost
    }

    /// Renews the lease and records progress; says whether to go on.
    public func heartbeat(_ id: String, owner: UUID, progress: [String: Value]?, trainedTokens: Int?, lease: Duration) async throws -> Heartbeat {
        let json = progress.map { JSONWriter.string(.object($0)) }
        let seconds = Double(lease.components.seconds)
        return try await store.perform {
            for try await cancel in try await store.client.query(
                """
                UPDATE fine_tune_jobs SET lease_expires_at = now() + make_interval(secs => \(seconds)),
                    progress = coalesce(\(json)::jsonb, progress), trained_tokens = coalesce(\(trainedTokens), trained_tokens)
                WHERE id = \(id) AND lease_owner = \(owner) AND status = 'running' RETURNING cancel_requested
                """, logger: store.logger
            ).decode(Bool.self) {
                return cancel ? .cancelRequested : .keepGoing
            }
            return .lost
        }
    }

    public func event(_ id: String, level: String = "info", message: String, data: [String: Value]? = nil) async throws {
        let json = data.map { JSONWriter.string(.object($0)) }
        try await store.perform {
            try await store.client.query(
                "INSERT INTO fine_tune_events (job_id, level, message, data) VALUES (\(id), \(level), \(message), \(json)::jsonb)", logger: store.logger)
        }
    }

    /// Oldest first; `after` (an event id) gives only newer ones, which is how `watch` follows a job.
    public func events(_ id: String, after: Int64 = 0, limit: Int = 100) async throws -> [FineTuneEventRecord] {
        _ = try await get(id)
        return try await store.perform {
            var events: [FineTuneEventRecord] = []
            for try await row in try await store.client.query(
                """
                SELECT id, level, message, data::text, created_at FROM fine_tune_events WHERE job_id = \(id) AND id > \(after)
                ORDER BY id LIMIT \(limit)
                """, logger: store.logger
            ).decode((Int64, String, String, String?, Date).self) {
                events.append(FineTuneEventRecord(
                    id: row.0, level: row.1, message: row.2, data: row.3.flatMap { RunRepository.json($0)?.objectValue }, createdAt: row.4))
            }
            return events
        }
    }

    /// Records a checkpoint file the owner has written.
    public func checkpoint(_ id: String, owner: UUID, step: Int, path: String, sha256: String, metrics: [String: Value]) async throws {
        let json = JSONWriter.string(.object(metrics))
        let checkpoint = "ftckpt-" + Hex.string((0..<12).map { _ in UInt8.random(in: 0...255) })
        try await store.perform {
            try await store.client.query(
                """
                INSERT INTO fine_tune_checkpoints (id, job_id, step, path, sha256, metrics)
                SELECT \(checkpoint), id, \(step), \(path), \(sha256), \(json)::jsonb FROM fine_tune_jobs WHERE id = \(id) AND lease_owner = \(owner)
                ON CONFLICT (job_id, step) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256, metrics = excluded.metrics
                """, logger: store.logger)
        }
    }

    /// Newest first.
    public func checkpoints(_ id: String) async throws -> [FineTuneCheckpointRecord] {
        _ = try await get(id)
        return try await store.perform {
            var checkpoints: [FineTuneCheckpointRecord] = []
            for try await row in try await store.client.query(
                "SELECT id, step, path, sha256, metrics::text, created_at FROM fine_tune_checkpoints WHERE job_id = \(id) ORDER BY step DESC",
                logger: store.logger
            ).decode((String, Int, String, String, String, Date).self) {
                checkpoints.append(FineTuneCheckpointRecord(
                    id: row.0, step: row.1, path: row.2, sha256: row.3, metrics: RunRepository.json(row.4)?.objectValue ?? [:], createdAt: row.5))
            }
            return checkpoints
        }
    }

    public func succeed(_ id: String, owner: UUID, model: String, trainedTokens: Int) async throws {
        try await finish(id, owner: owner, status: .succeeded, model: model, trainedTokens: trainedTokens, event: "The job has succeeded: \(model) is ready")
    }

    /// Fails a job for good: a worker's (with its lease) or, without an owner, one still validating its data.
    public func fail(_ id: String, owner: UUID?, code: String, message: String, param: String? = nil) async throws {
        var error: [String: Value] = ["code": .string(code), "message": .string(message)]
        if let param { error["param"] = .string(param) }
        try await finish(id, owner: owner, status: .failed, error: JSONWriter.string(.object(error)), event: "The job failed: \(message)", level: "error")
    }

    public func markCancelled(_ id: String, owner: UUID) async throws {
        try await finish(id, owner: owner, status: .cancelled, event: "The job was cancelled")
    }

    private func finish(
        _ id: String, owner: UUID?, status: FineTuneJobRecord.Status, model: String? = nil, trainedTokens: Int? = nil, error: String? = nil,
        event: String, level: String = "info"
    ) async throws {
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                var changed = false
                for try await _ in try await connection.query(
                    """
                    UPDATE fine_tune_jobs SET status = \(status.rawValue), finished_at = now(), lease_owner = NULL, lease_expires_at = NULL,
                        fine_tuned_model = coalesce(\(model), fine_tuned_model), trained_tokens = coalesce(\(trainedTokens), trained_tokens),
                        error = coalesce(\(error)::jsonb, error)
                    WHERE id = \(id) AND (lease_owner = \(owner) OR (\(owner)::uuid IS NULL AND status = 'validating_files')) RETURNING id
                    """, logger: store.logger
                ).decode(String.self) {
                    changed = true
                }
                guard changed else { return }
                try await connection.query(
                    "INSERT INTO fine_tune_events (job_id, level, message) VALUES (\(id), \(level), \(event))", logger: store.logger)
            }
        }
    }

    private func transition(_ id: String, to status: FineTuneJobRecord.Status, from: [FineTuneJobRecord.Status], event: String) async throws {
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                var changed = false
                for try await _ in try await connection.query(
                    """
                    UPDATE fine_tune_jobs SET status = \(status.rawValue), finished_at = CASE WHEN \(status.isFinal) THEN now() END
                    WHERE id = \(id) AND status = ANY(\(from.map(\.rawValue))) RETURNING id
                    """, logger: store.logger
                ).decode(String.self) {
                    changed = true
                }
                guard changed else { throw StoreError.conflict("job \(id) is no longer \(from.map(\.rawValue).joined(separator: " or "))") }
                try await connection.query("INSERT INTO fine_tune_events (job_id, level, message) VALUES (\(id), 'info', \(event))", logger: store.logger)
            }
        }
    }
}
