import Crypto
import Foundation
import Logging
import LoomInference
import LoomStore
import LoomWorkflow
import Synchronization

/// Claims fine-tune jobs from the store and trains them on this worker's CPU: reads the approved samples of the
/// job's dataset version, checks them against the base model, trains (on a thread of its own, never on the
/// event loops) while recording every step, epoch and checkpoint, and publishes the adapter where every worker
/// serves it. A job resumes from its newest intact checkpoint when a dead worker's lease lapsed.
public struct FineTuneJobRunner: Sendable {
    public struct Configuration: Sendable {
        public var threads: Int
        public var lease: Duration = .seconds(30)
        /// How often the lease is renewed while a step runs (steps renew it too).
        public var heartbeat: Duration = .seconds(5)
        /// How often an idle runner looks for a queued job.
        public var poll: Duration = .seconds(2)
        /// Optimiser steps between checkpoints (each epoch's end is one too).
        public var checkpointEvery = 25

        public init(threads: Int) {
            self.threads = threads
        }
    }

    let store: Store
    let registry: ModelRegistry
    let configuration: Configuration
    let logger: Logger
    let owner = UUID()

    public init(store: Store, registry: ModelRegistry, configuration: Configuration, logger: Logger) {
        self.store = store
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs jobs one after another until cancelled. A cancelled runner (the worker shutting down) stops its job
    /// after the current step without marking it: its lease lapses and another worker resumes it.
    public func run() async {
        while !Task.isCancelled {
            do {
                if try await runOnce() { continue }
            } catch {
                logger.warning("could not look for fine-tune jobs", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.poll)
        }
    }

    /// Claims and runs one job; false when none is waiting.
    public func runOnce() async throws -> Bool {
        guard let job = try await store.fineTunes.claim(owner: owner, lease: configuration.lease) else { return false }
        await execute(job)
        return true
    }

    /// Trains one claimed job to its end: succeeded, failed, cancelled, or — the store unreachable, or the job
    /// taken over — left for its lease to lapse.
    public func execute(_ job: FineTuneJobRecord) async {
        let jobs = store.fineTunes
        logger.info("fine-tune job claimed", metadata: ["job": "\(job.id)", "attempt": "\(job.attempts)"])
        do {
            let plan = try await prepare(job)
            let outcome = try await train(job, plan)
            switch outcome {
            case .finished(let state):
                let name = FineTunedModelName.make(base: job.model, suffix: job.suffix ?? job.id)
                try PEFTAdapter.write(state.adapter, baseModel: job.model, to: registry.adaptersDirectory + "/" + name)
                try await jobs.succeed(job.id, owner: owner, model: name, trainedTokens: plan.tokensPerEpoch * plan.hyperparameters.epochs)
                logger.info("fine-tune job succeeded", metadata: ["job": "\(job.id)", "model": "\(name)"])
            case .cancelled:
                try await jobs.markCancelled(job.id, owner: owner)
            case .lost:
                logger.warning("fine-tune job was taken over by another worker", metadata: ["job": "\(job.id)"])
            }
        } catch let failure as FineTuneFailure {
            await fail(job, failure)
        } catch let error as CheckpointError {
            await fail(job, FineTuneFailure(code: "checkpoint_failed", message: "\(error)"))
        } catch let error as StoreError {
            // The store is unreachable: the lease lapses and the job is claimed again once it is back.
            logger.error("fine-tune job interrupted by the store", metadata: ["job": "\(job.id)", "error": "\(error)"])
        } catch {
            await fail(job, FineTuneFailure(code: "server_error", message: "\(error)"))
        }
    }

    private func fail(_ job: FineTuneJobRecord, _ failure: FineTuneFailure) async {
        logger.error("fine-tune job failed", metadata: ["job": "\(job.id)", "error": "\(failure.message)"])
        do {
            try await store.fineTunes.fail(job.id, owner: owner, code: failure.code, message: failure.message, param: failure.param)
        } catch {
            logger.error("could not record the failure", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    struct Plan: Sendable {
        let model: LlamaModel
        let training: [TrainingExample]
        let validation: [TrainingExample]
        let hyperparameters: FineTuneHyperparameters
        let start: TrainingState?
        var tokensPerEpoch: Int { training.reduce(0) { $0 + $1.tokens.count } }
    }

    /// Everything checked before the first step: the base model, the hyper-parameters, the data, a checkpoint.
    func prepare(_ job: FineTuneJobRecord) async throws -> Plan {
        guard let entry = registry.entry(job.model), entry.kind == .chat, registry.isInstalled(entry) else {
            let chat = registry.entries.filter { $0.kind == .chat }.map(\.name)
            throw FineTuneFailure(
                code: "model_not_available", message: "the base model '\(job.model)' is not a chat model this worker has (\(chat.joined(separator: ", ")))",
                param: "model")
        }
        let model = try LlamaModel(path: registry.location(of: entry))
        let hyperparameters = try FineTuneHyperparameters(values: job.hyperparameters)
        var training = try await examples(job.dataset, version: job.datasetVersion, model: model)
        var validation: [TrainingExample] = []
        if let name = job.validationDataset, let version = job.validationVersion {
            validation = try await examples(name, version: version, model: model)
        } else if training.count >= 2, hyperparameters.validationSplit > 0 {
            var generator = SplitMix64(seed: UInt64(bitPattern: job.seed))
            training.shuffle(using: &generator)
            let held = min(training.count - 1, max(1, Int((Float(training.count) * hyperparameters.validationSplit).rounded())))
            validation = Array(training.prefix(held))
            training.removeFirst(held)
        }
        return Plan(
            model: model, training: training, validation: validation, hyperparameters: hyperparameters, start: try await checkpoint(job, model: model))
    }

    private func examples(_ dataset: String, version: Int, model: LlamaModel) async throws -> [TrainingExample] {
        let samples = try await store.samples.list(try await store.datasets.get(dataset), version: version, status: .approved)
        return try TrainingSet.examples(samples, dataset: dataset, version: version, model: model)
    }

    /// The newest recorded checkpoint whose file is intact; older ones are tried when it is not.
    private func checkpoint(_ job: FineTuneJobRecord, model: LlamaModel) async throws -> TrainingState? {
        for checkpoint in try await store.fineTunes.checkpoints(job.id) {
            guard let data = FileManager.default.contents(atPath: checkpoint.path),
                Hex.string(SHA256.hash(data: data)) == checkpoint.sha256,
                let state = try? TrainingState(decoding: data, configuration: model.configuration)
            else {
                try await store.fineTunes.event(job.id, level: "warn", message: "Checkpoint at step \(checkpoint.step) is missing or damaged; trying an older one")
                continue
            }
            try await store.fineTunes.event(job.id, message: "Resuming from the checkpoint at step \(checkpoint.step)")
            return state
        }
        return nil
    }

    enum Outcome {
        case finished(TrainingState)
        case cancelled
        case lost
    }

    /// Messages from the training thread to the task that records them.
    enum Message: Sendable {
        case step(FineTuner.StepReport)
        case epoch(epoch: Int, trainingLoss: Double, validationLoss: Double?)
        case checkpoint(step: Int, path: String, sha256: String, loss: Double?)
    }

    private func train(_ job: FineTuneJobRecord, _ plan: Plan) async throws -> Outcome {
        let jobs = store.fineTunes
        let control = TrainingControl()
        let tuner = FineTuner(
            trainer: LlamaTrainer(model: plan.model, pool: ComputePool(threads: configuration.threads)), training: plan.training,
            validation: plan.validation, hyperparameters: plan.hyperparameters, seed: UInt64(bitPattern: job.seed))
        let start = plan.start ?? tuner.initialState()
        try await jobs.event(
            job.id,
            message: "Training on \(plan.training.count) examples (\(plan.tokensPerEpoch) tokens per epoch), validating on \(plan.validation.count); \(tuner.totalSteps) steps",
            data: ["hyperparameters": .object(plan.hyperparameters.values), "from_step": .int(start.step)])
        let directory = registry.checkpointsDirectory + "/" + job.id
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let checkpointEvery = configuration.checkpointEvery
        let (messages, continuation) = AsyncStream.makeStream(of: Message.self)
        let queue = ComputeQueue(name: "loom-finetune")
        defer { queue.shutdown() }
        let result = await withTaskGroup(of: Result<TrainingState, any Error>?.self) { group in
            group.addTask {
                let outcome = await queue.perform { () -> Result<TrainingState, any Error> in
                    var lastLoss: Double?
                    return Result {
                        try tuner.run(from: start, checkpointEvery: checkpointEvery) { event in
                            if control.stop != nil { throw TrainingControl.Stopped() }
                            switch event {
                            case .step(let report):
                                lastLoss = report.loss
                                continuation.yield(.step(report))
                            case .epoch(let epoch, let training, let validation):
                                continuation.yield(.epoch(epoch: epoch, trainingLoss: training, validationLoss: validation))
                            case .checkpoint(let state):
                                let data = state.encoded()
                                let path = directory + "/step-\(state.step).ckpt"
                                try AtomicFile.write(data, to: path)
                                continuation.yield(.checkpoint(step: state.step, path: path, sha256: Hex.string(SHA256.hash(data: data)), loss: lastLoss))
                            }
                        }
                    }
                }
                continuation.finish()
                return outcome
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: configuration.heartbeat)
                    await beat(job, control: control, progress: nil, trainedTokens: nil)
                }
                return nil
            }
            var started = ContinuousClock.now
            var stepsTimed = 0
            for await message in messages {
                do {
                    switch message {
                    case .step(let report):
                        stepsTimed += 1
                        let perStep = (ContinuousClock.now - started) / stepsTimed
                        if stepsTimed == 1 { started = .now - perStep }
                        let eta = perStep * (report.totalSteps - report.step)
                        let progress: [String: Value] = [
                            "step": .int(report.step), "total_steps": .int(report.totalSteps), "epoch": .int(report.epoch),
                            "train_loss": .double(report.loss), "learning_rate": .double(Double(report.learningRate)),
                            "tokens_per_second": .double(Double(report.tokens) / max(report.seconds, 1e-9)),
                            "eta_seconds": .double(Double(eta.components.seconds)),
                        ]
                        let tokens = plan.tokensPerEpoch * plan.hyperparameters.epochs * report.step / report.totalSteps
                        try await jobs.event(
                            job.id, message: String(format: "Step %d/%d: training loss=%.4f", report.step, report.totalSteps, report.loss), data: progress)
                        await beat(job, control: control, progress: progress, trainedTokens: tokens)
                    case .epoch(let epoch, let training, let validation):
                        var data: [String: Value] = ["epoch": .int(epoch), "train_loss": .double(training)]
                        var text = String(format: "Epoch %d/%d: training loss=%.4f", epoch, plan.hyperparameters.epochs, training)
                        if let validation {
                            data["valid_loss"] = .double(validation)
                            text += String(format: ", validation loss=%.4f", validation)
                        }
                        try await jobs.event(job.id, message: text, data: data)
                    case .checkpoint(let step, let path, let sha256, let loss):
                        var metrics: [String: Value] = ["step": .int(step)]
                        if let loss { metrics["train_loss"] = .double(loss) }
                        try await jobs.checkpoint(job.id, owner: owner, step: step, path: path, sha256: sha256, metrics: metrics)
                        try await jobs.event(job.id, message: "Checkpoint saved at step \(step)", data: ["step": .int(step)])
                    }
                } catch {
                    // The store is unreachable: stop, and let the lease lapse so the job is claimed again.
                    logger.error("could not record fine-tune progress", metadata: ["job": "\(job.id)", "error": "\(error)"])
                    control.request(.lost)
                }
            }
            // The stream also ends when this task is cancelled (the worker stopping): stop training at the next step.
            if Task.isCancelled { control.request(.lost) }
            group.cancelAll()
            var outcome: Result<TrainingState, any Error>?
            for await value in group where value != nil { outcome = value }
            return outcome!
        }
        switch result {
        case .success(let state): return .finished(state)
        case .failure(let error) where error is TrainingControl.Stopped:
            return control.stop == .cancelled ? .cancelled : .lost
        case .failure(let error): throw error
        }
    }

    /// Renews the lease; asks the training thread to stop when the job was cancelled or taken over.
    private func beat(_ job: FineTuneJobRecord, control: TrainingControl, progress: [String: Value]?, trainedTokens: Int?) async {
        do {
            switch try await store.fineTunes.heartbeat(job.id, owner: owner, progress: progress, trainedTokens: trainedTokens, lease: configuration.lease) {
            case .keepGoing: break
            case .cancelRequested: control.request(.cancelled)
            case .lost: control.request(.lost)
            }
        } catch {
            logger.warning("could not renew the fine-tune lease", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }
}

/// Shared between the training thread and the task that records its progress: whether, and why, to stop.
final class TrainingControl: Sendable {
    enum Reason: Sendable, Equatable {
        case cancelled, lost
    }

    struct Stopped: Error {}

    private let reason = Mutex<Reason?>(nil)

    var stop: Reason? { reason.withLock { $0 } }

    func request(_ stop: Reason) {
        reason.withLock { if $0 == nil { $0 = stop } }
    }
}
