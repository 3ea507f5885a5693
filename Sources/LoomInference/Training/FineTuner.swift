import Foundation

/// A LoRA training run over examples: epochs of shuffled batches, gradients summed over each batch's sequences,
/// one AdamW step per batch on the warm-up-then-cosine schedule, the validation loss after every epoch, and a
/// checkpoint every few steps and at each epoch's end. The order of the data depends only on the seed and the
/// epoch, so a run resumed from a checkpoint takes exactly the steps the uninterrupted run would have.
public final class FineTuner: @unchecked Sendable {
    // The trainer's scratch is used by `run` only, which one caller drives at a time.
    public struct StepReport: Sendable, Equatable {
        /// Optimiser steps done, 1-based, out of `totalSteps`.
        public var step: Int
        public var totalSteps: Int
        /// 1-based.
        public var epoch: Int
        /// Mean loss per target token over the step's batch.
        public var loss: Double
        public var learningRate: Float
        /// Tokens run forward and backward in the step.
        public var tokens: Int
        public var seconds: Double
    }

    public enum Event: Sendable {
        case step(StepReport)
        /// After each epoch: the mean validation loss (nil without validation examples) and the epoch's training loss.
        case epoch(epoch: Int, trainingLoss: Double, validationLoss: Double?)
        /// A state worth keeping; the caller writes it where it wants.
        case checkpoint(TrainingState)
    }

    public let trainer: LlamaTrainer
    public let training: [TrainingExample]
    public let validation: [TrainingExample]
    public let hyperparameters: FineTuneHyperparameters
    public let seed: UInt64
    public let stepsPerEpoch: Int
    public let totalSteps: Int
    public let schedule: LearningRateSchedule

    public init(trainer: LlamaTrainer, training: [TrainingExample], validation: [TrainingExample], hyperparameters: FineTuneHyperparameters, seed: UInt64) {
        precondition(!training.isEmpty, "at least one training example")
        self.trainer = trainer
        self.training = training
        self.validation = validation
        self.hyperparameters = hyperparameters
        self.seed = seed
        stepsPerEpoch = (training.count + hyperparameters.batchSize - 1) / hyperparameters.batchSize
        totalSteps = stepsPerEpoch * hyperparameters.epochs
        schedule = LearningRateSchedule(peak: hyperparameters.learningRate, totalSteps: totalSteps, warmupFraction: hyperparameters.warmupFraction)
    }

    /// A fresh adapter (from the seed) and optimiser.
    public func initialState() -> TrainingState {
        let adapter = LoraAdapter(
            configuration: trainer.model.configuration, rank: hyperparameters.loraRank, alpha: hyperparameters.loraAlpha, seed: seed)
        return TrainingState(adapter: adapter, optimizer: AdamW(count: adapter.parameters.count), step: 0)
    }

    /// The examples' loss under an adapter (nil: the base model).
    public func loss(of examples: [TrainingExample], adapter: LoraAdapter?) -> TrainingLoss {
        examples.reduce(TrainingLoss()) { $0 + trainer.loss($1, adapter: adapter) }
    }

    /// The order of the training examples in an epoch.
    func order(epoch: Int) -> [Int] {
        var generator = SplitMix64(seed: seed &+ UInt64(epoch + 1) &* 0x9E37_79B9_7F4A_7C15)
        return Array(training.indices).shuffled(using: &generator)
    }

    /// Trains from `state` to the last step. `events` may throw (a cancelled job) to stop after the current step.
    public func run(from state: TrainingState, checkpointEvery: Int, events: (Event) throws -> Void) throws -> TrainingState {
        var state = state
        var gradients = [Float](repeating: 0, count: state.adapter.parameters.count)
        var epochLoss = TrainingLoss()
        var order: [Int] = []
        var orderEpoch = -1
        while state.step < totalSteps {
            let epoch = state.step / stepsPerEpoch
            let indexInEpoch = state.step % stepsPerEpoch
            if indexInEpoch == 0 { epochLoss = TrainingLoss() }
            if epoch != orderEpoch {
                (order, orderEpoch) = (self.order(epoch: epoch), epoch)
            }
            let batch = order[indexInEpoch * hyperparameters.batchSize..<min((indexInEpoch + 1) * hyperparameters.batchSize, order.count)]
            let started = DispatchTime.now().uptimeNanoseconds
            for index in gradients.indices { gradients[index] = 0 }
            var loss = TrainingLoss()
            for index in batch { loss = loss + trainer.accumulateGradients(training[index], adapter: state.adapter, into: &gradients) }
            let rate = schedule.rate(at: state.step)
            if loss.weight > 0 {
                state.optimizer.update(
                    &state.adapter.parameters, gradients: gradients, gradientScale: Float(1 / loss.weight), learningRate: rate,
                    weightDecay: hyperparameters.weightDecay)
            }
            state.step += 1
            epochLoss = epochLoss + loss
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            try events(.step(StepReport(
                step: state.step, totalSteps: totalSteps, epoch: epoch + 1, loss: loss.mean, learningRate: rate,
                tokens: batch.reduce(0) { $0 + training[$1].tokens.count }, seconds: seconds)))
            let endOfEpoch = indexInEpoch == stepsPerEpoch - 1
            if endOfEpoch {
                let validationLoss = validation.isEmpty ? nil : self.loss(of: validation, adapter: state.adapter).mean
                try events(.epoch(epoch: epoch + 1, trainingLoss: epochLoss.mean, validationLoss: validationLoss))
            }
            if endOfEpoch || state.step % max(1, checkpointEvery) == 0 { try events(.checkpoint(state)) }
        }
        return state
    }
}
