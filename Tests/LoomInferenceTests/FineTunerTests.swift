import Foundation
import LoomInference
import Testing

/// Training runs on the tiny network: they learn, they resume exactly, and their checkpoints survive bad disks.
struct FineTunerTests {
    struct Stop: Error {}

    /// Random five-token prompts, each answered by the same four tokens: learnable by a small adapter, and the
    /// held-out prompts share the answer, so validation loss falls only if the pattern is learnt.
    static func examples(count: Int, seed: UInt64) -> [TrainingExample] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let prompt = (0..<5).map { _ in Int.random(in: 50..<100, using: &generator) }
            return TrainingExample(tokens: prompt + [7, 21, 33, 8], weights: [0, 0, 0, 0, 0, 1, 1, 1, 1])
        }
    }

    static func tuner(threads: Int = 1, epochs: Int = 4) throws -> FineTuner {
        let trainer = LlamaTrainer(model: try TinyModelTests.Network(seed: 8).load(), pool: ComputePool(threads: threads))
        return FineTuner(
            trainer: trainer, training: examples(count: 24, seed: 1), validation: examples(count: 8, seed: 2),
            hyperparameters: FineTuneHyperparameters(epochs: epochs, batchSize: 4, learningRate: 1e-2, loraRank: 4, loraAlpha: 8), seed: 42)
    }

    @Test func aShortRunLowersTrainingAndValidationLoss() throws {
        let tuner = try Self.tuner()
        let before = tuner.loss(of: tuner.validation, adapter: nil).mean
        let trainingBefore = tuner.loss(of: tuner.training, adapter: nil).mean
        var epochs: [(Double, Double?)] = []
        var steps: [FineTuner.StepReport] = []
        let final = try tuner.run(from: tuner.initialState(), checkpointEvery: 100) { event in
            switch event {
            case .step(let report): steps.append(report)
            case .epoch(_, let training, let validation): epochs.append((training, validation))
            case .checkpoint: break
            }
        }
        #expect(steps.count == 24 && steps.last?.step == 24 && steps.allSatisfy { $0.tokens == 36 })
        #expect(epochs.count == 4)
        let after = tuner.loss(of: tuner.validation, adapter: final.adapter).mean
        let trainingAfter = tuner.loss(of: tuner.training, adapter: final.adapter).mean
        #expect(after < before / 2, "validation loss \(before) → \(after)")
        #expect(trainingAfter < trainingBefore / 2, "training loss \(trainingBefore) → \(trainingAfter)")
        #expect(epochs.last!.1! < epochs.first!.1!)
    }

    @Test(arguments: [1, 2])
    func aRunResumedFromACheckpointEndsWithTheSameAdapterAsAnUninterruptedOne(threads: Int) throws {
        let uninterrupted = try Self.tuner(threads: threads, epochs: 2).run(from: Self.tuner(epochs: 2).initialState(), checkpointEvery: 5) { _ in }
        // The first run stops right after its step-5 checkpoint, as a killed worker would after writing it.
        var saved: Data?
        let first = try Self.tuner(threads: threads, epochs: 2)
        #expect(throws: Stop.self) {
            _ = try first.run(from: first.initialState(), checkpointEvery: 5) { event in
                if case .checkpoint(let state) = event {
                    saved = state.encoded()
                    throw Stop()
                }
            }
        }
        let second = try Self.tuner(threads: threads, epochs: 2)
        let restored = try TrainingState(decoding: try #require(saved), configuration: second.trainer.model.configuration)
        #expect(restored.step == 5)
        let resumed = try second.run(from: restored, checkpointEvery: 5) { _ in }
        #expect(resumed.step == uninterrupted.step)
        #expect(resumed.adapter.parameters == uninterrupted.adapter.parameters)
        #expect(resumed.optimizer == uninterrupted.optimizer)
    }

    @Test func checkpointsRefuseDamagedDataAndOtherModels() throws {
        let tuner = try Self.tuner()
        let data = tuner.initialState().encoded()
        let configuration = tuner.trainer.model.configuration
        #expect(try TrainingState(decoding: data, configuration: configuration) == tuner.initialState())
        #expect(throws: CheckpointError.self) { try TrainingState(decoding: data.prefix(data.count - 4), configuration: configuration) }
        #expect(throws: CheckpointError.self) { try TrainingState(decoding: Data("not a checkpoint at all".utf8), configuration: configuration) }
        var other = configuration
        other.layers = 3
        #expect {
            try TrainingState(decoding: data, configuration: other)
        } throws: { error in
            (error as? CheckpointError).map { "\($0)".contains("3 layers") || "\($0)".contains("the model has 3") } ?? false
        }
    }

    @Test func aCheckpointWriteOnAFullDiskFailsClearlyAndLeavesThePreviousOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-ckpt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/checkpoint.bin"
        try AtomicFile.write(Data("first".utf8), to: path)
        // The partial file leads to /dev/full, where every write fails with ENOSPC, as on a full disk.
        try FileManager.default.createSymbolicLink(atPath: path + ".partial", withDestinationPath: "/dev/full")
        #expect {
            try AtomicFile.write(Data(repeating: 1, count: 1 << 16), to: path)
        } throws: { error in
            "\(error)".contains("No space left on device") && "\(error)".contains("previous checkpoint is unchanged")
        }
        #expect(FileManager.default.contents(atPath: path) == Data("first".utf8))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }

    @Test func theScheduleWarmsUpThenDecaysToATenth() {
        let schedule = LearningRateSchedule(peak: 1, totalSteps: 100, warmupFraction: 0.1)
        #expect(schedule.warmupSteps == 10)
        #expect(schedule.rate(at: 0) < schedule.rate(at: 5) && schedule.rate(at: 5) < schedule.rate(at: 9))
        #expect(schedule.rate(at: 10) == 1)
        #expect(abs(schedule.rate(at: 99) - 0.1) < 1e-6)
        #expect((11..<100).allSatisfy { schedule.rate(at: $0) <= schedule.rate(at: $0 - 1) })
    }

    @Test func hyperparametersOutOfRangeAreAllReported() {
        let problems = FineTuneHyperparameters(epochs: 0, batchSize: 4, learningRate: 5, loraRank: 0, loraAlpha: 16).problems()
        #expect(problems.map(\.name) == ["n_epochs", "learning_rate", "lora_rank"])
        #expect(FineTuneHyperparameters().problems().isEmpty)
    }
}

struct PEFTAdapterTests {
    @Test func anExportedAdapterHasPEFTNamesHuggingFaceRowOrderAndLoadsBackUnchanged() throws {
        let configuration = TinyModelTests.Network(seed: 1).configuration
        let adapter = LoraGradientTests.randomAdapter(configuration, seed: 3)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-peft-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try PEFTAdapter.write(adapter, baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct", to: directory)
        #expect(try PEFTAdapter.load(from: directory, configuration: configuration) == adapter)

        let file = try SafetensorsFile(path: directory + "/adapter_model.safetensors")
        #expect(file.tensors.count == 2 * 7 * configuration.layers)
        let name = "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight"
        #expect(file.tensors[name]?.shape == [configuration.embedding, 4])
        #expect(file.tensors["base_model.model.model.layers.0.mlp.down_proj.lora_A.weight"]?.shape == [4, configuration.feedForward])
        // Head 0's GGUF row 2 (pair 1, first half) is Hugging Face row 1; row 1 (pair 0, second half) is row d/2.
        let slot = adapter.slot(layer: 1, target: .query)
        let stored = try file.vector(name)
        let d = configuration.headDimension
        #expect(Array(stored[4..<8]) == Array(adapter.parameters[slot.b + 2 * 4..<slot.b + 3 * 4]))
        #expect(Array(stored[d / 2 * 4..<d / 2 * 4 + 4]) == Array(adapter.parameters[slot.b + 4..<slot.b + 8]))
        let json = try #require(FileManager.default.contents(atPath: directory + "/adapter_config.json"))
        let fields = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(fields["peft_type"] as? String == "LORA" && fields["r"] as? Int == 4)
    }
}
