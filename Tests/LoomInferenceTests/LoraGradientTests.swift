import Foundation
import LoomInference
import Testing

/// The trainer's loss and adapter gradients against the tiny network computed in Double: the loss straight from
/// the definitions, the gradients by central finite differences of that loss. Every adapted projection of every
/// layer is checked, on a sequence longer than one attention chunk (64 rows), on one thread and on two.
struct LoraGradientTests {
    static let network = TinyModelTests.Network(seed: 5)

    /// An adapter with A and B both random (a fresh one has B = 0, which hides half of the gradient paths).
    static func randomAdapter(_ configuration: LlamaConfiguration, seed: UInt64) -> LoraAdapter {
        var adapter = LoraAdapter(configuration: configuration, rank: 4, alpha: 8, seed: seed)
        var generator = SplitMix64(seed: seed &+ 1)
        for slot in adapter.slots {
            for index in slot.b..<slot.b + slot.rows * adapter.rank { adapter.parameters[index] = Float.random(in: -0.2...0.2, using: &generator) }
        }
        return adapter
    }

    static func example(length: Int, prompt: Int, seed: UInt64) -> TrainingExample {
        var generator = SplitMix64(seed: seed)
        let tokens = (0..<length).map { _ in Int.random(in: 1..<100, using: &generator) }
        return TrainingExample(tokens: tokens, weights: (0..<length).map { $0 < prompt ? 0 : 1 })
    }

    /// Σ weight · cross-entropy, in Double.
    static func referenceLoss(_ example: TrainingExample, adapter: LoraAdapter?, parameters: [Double]? = nil) -> Double {
        let logits = network.logits(example.tokens, adapter: adapter, parameters: parameters)
        var loss = 0.0
        for position in 0..<example.tokens.count - 1 where example.weights[position + 1] > 0 {
            let z = logits[position]
            let maximum = z.max()!
            let logSumExp = maximum + log(z.reduce(0) { $0 + exp($1 - maximum) })
            loss += Double(example.weights[position + 1]) * (logSumExp - z[example.tokens[position + 1]])
        }
        return loss
    }

    @Test(arguments: [1, 2])
    func lossMatchesTheDoubleReferenceWithAndWithoutAnAdapter(threads: Int) throws {
        let trainer = LlamaTrainer(model: try Self.network.load(), pool: ComputePool(threads: threads))
        let example = Self.example(length: 70, prompt: 10, seed: 3)
        let adapter = Self.randomAdapter(Self.network.configuration, seed: 9)
        for candidate in [nil, adapter] {
            let loss = trainer.loss(example, adapter: candidate)
            let expected = Self.referenceLoss(example, adapter: candidate)
            #expect(loss.weight == 60)
            #expect(abs(loss.sum - expected) < 1e-4 * abs(expected), "engine \(loss.sum), reference \(expected)")
        }
        #expect(abs(trainer.loss(example, adapter: adapter).sum - trainer.loss(example, adapter: nil).sum) > 0.1, "the adapter changes the loss")
    }

    @Test(arguments: [1, 2])
    func adapterGradientsMatchFiniteDifferencesInEveryLayerAndProjection(threads: Int) throws {
        let trainer = LlamaTrainer(model: try Self.network.load(), pool: ComputePool(threads: threads))
        let example = Self.example(length: 70, prompt: 30, seed: 4)
        let adapter = Self.randomAdapter(Self.network.configuration, seed: 12)
        var gradients = [Float](repeating: 0, count: adapter.parameters.count)
        let loss = trainer.accumulateGradients(example, adapter: adapter, into: &gradients)
        #expect(loss.weight == 40)
        var generator = SplitMix64(seed: UInt64(threads))
        let base = adapter.parameters.map(Double.init)
        let h = 1e-3
        for slot in adapter.slots {
            // One entry of A and one of B per projection and layer.
            for index in [Int.random(in: slot.a..<slot.b, using: &generator), Int.random(in: slot.b..<slot.b + slot.rows * adapter.rank, using: &generator)] {
                var plus = base, minus = base
                plus[index] += h
                minus[index] -= h
                let numeric = (Self.referenceLoss(example, adapter: adapter, parameters: plus) - Self.referenceLoss(example, adapter: adapter, parameters: minus)) / (2 * h)
                let analytic = Double(gradients[index])
                #expect(
                    abs(analytic - numeric) <= 2e-3 * abs(numeric) + 2e-4,
                    "layer \(slot.layer) \(slot.target) \(index < slot.b ? "A" : "B")[\(index)]: engine \(analytic), finite difference \(numeric)")
            }
        }
        // A second pass adds the same gradient again: accumulation, not overwrite.
        var twice = gradients
        _ = trainer.accumulateGradients(example, adapter: adapter, into: &twice)
        #expect(zip(twice, gradients).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
    }
}

/// Adapters at inference: the runner adds each sequence's adapter to its own steps only.
struct ServedAdapterTests {
    @Test func aBatchMixingAnAdaptedAndABaseSequenceMatchesTheReferenceForEach() throws {
        let network = LoraGradientTests.network
        let runner = LlamaRunner(model: try network.load(), pool: ComputePool(threads: 2))
        let served = ServedAdapter(name: "tiny:ft-test", adapter: LoraGradientTests.randomAdapter(network.configuration, seed: 21))
        let (first, second) = ([4, 9, 16, 25, 36, 49, 64], [81, 3, 5, 7, 11, 13, 17])
        let (adapted, base) = (runner.makeCache(), runner.makeCache())
        // One pass holding both prompts (the sgemm path), then single steps of both together (the block kernels).
        var steps = first.prefix(6).enumerated().map { LlamaRunner.Step(token: $1, position: $0, cache: adapted, wantsLogits: true, adapter: served) }
        steps += second.prefix(6).enumerated().map { LlamaRunner.Step(token: $1, position: $0, cache: base, wantsLogits: true) }
        var logits = runner.forward(steps)
        logits += runner.forward([
            .init(token: second[6], position: 6, cache: base, wantsLogits: true), .init(token: first[6], position: 6, cache: adapted, wantsLogits: true, adapter: served),
        ])
        let expectedFirst = network.logits(first, adapter: served.adapter, halfCache: true)
        let expectedSecond = network.logits(second, halfCache: true)
        let expected = Array(expectedFirst.prefix(6)) + Array(expectedSecond.prefix(6)) + [expectedSecond[6], expectedFirst[6]]
        // The single steps go through the block kernels, whose vectors are 16-bit integers on CPUs with 8-bit dot
        // products (BlockBatch): relative error up to about 1e-3 here, where Float32 products give 1e-6. The
        // step's own key and value carry that error into their rounding to half precision, which can then land
        // one half step away from the reference's.
        let tolerance = { (row: Int) in row < 12 ? 1e-4 : 2e-3 }
        for (index, (engine, reference)) in zip(logits, expected).enumerated() {
            #expect(TinyModelTests.worst(engine, reference) < tolerance(index) * max(reference.map(abs).max()!, 1), "row \(index)")
        }
        #expect(TinyModelTests.worst(logits[0], network.logits([first[0]], halfCache: true)[0]) > 1e-2, "the adapter changes the logits")
        // Far beyond the tolerance of the single steps: an adapter added to the wrong sequence fails.
        #expect(TinyModelTests.worst(expectedFirst[6].map(Float.init), network.logits(first, halfCache: true)[6]) > 0.1)
    }
}
