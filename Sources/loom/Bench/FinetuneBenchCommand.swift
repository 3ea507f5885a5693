import ArgumentParser
import Foundation
import LoomInference

struct FinetuneBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "LoRA training tokens/s (forward + backward) of the bundled chat model on 1 and 2 threads, next to the FLOP ceiling sgemm gives in the same run.")

    @OptionGroup var threads: ThreadCountsOption

    @Option(help: "Tokens per training sequence.")
    var length = 256

    @Option(help: "LoRA rank.")
    var rank = 8

    @Option(help: "Best of this many repeats per figure.")
    var repeats = 3

    func run() async throws {
        BenchBuild.warnIfDebug()
        let threadCounts = try threads.counts()
        guard (8...4096).contains(length) else { throw ValidationError("--length takes 8…4096 tokens") }
        let model = try LocalModels.llama("smollm2-135m")
        let c = model.configuration
        let text = Array(repeating: "The river runs past the old mill and into the valley, where the miller keeps bees.", count: length / 8 + 8)
            .joined(separator: " ")
        let tokens = Array(model.encode(text).prefix(length))
        // Every token a target: the worst case, with logits for every position.
        let example = TrainingExample(tokens: tokens, weights: Array(repeating: 1, count: tokens.count))
        let flopsPerToken = 4 * Double(model.parameterCount)
        var rows: [[String]] = []
        for count in threadCounts {
            let pool = ComputePool(threads: count)
            let trainer = LlamaTrainer(model: model, pool: pool)
            let adapter = LoraAdapter(configuration: c, rank: rank, alpha: Float(2 * rank), seed: 1)
            var gradients = [Float](repeating: 0, count: adapter.parameters.count)
            _ = trainer.accumulateGradients(example, adapter: adapter, into: &gradients)  // warm-up: buffers, page cache
            let tokensPerSecond = (0..<repeats).map { _ in
                let started = ContinuousClock.now
                _ = trainer.accumulateGradients(example, adapter: adapter, into: &gradients)
                return Double(tokens.count) / (ContinuousClock.now - started).seconds
            }.max() ?? 0
            let gflops = (0..<repeats).map { _ in SgemmCeiling.measure(pool: pool, rows: tokens.count, columns: c.feedForward, inner: c.embedding) }
                .max() ?? 0
            let ceiling = gflops * 1e9 / flopsPerToken
            rows.append([
                String(count), String(format: "%.0f", tokensPerSecond), String(format: "%.1f", gflops), String(format: "%.0f", ceiling),
                String(format: "%.0f%%", 100 * tokensPerSecond / ceiling), String(format: "%.1f", tokensPerSecond * flopsPerToken / 1e9),
            ])
        }
        print("Fine-tune benchmark: LoRA rank \(rank) on every attention and MLP projection of SmolLM2-135M-Instruct Q4_1 (base frozen, quantised)")
        print("one \(tokens.count)-token sequence, every token a target; forward + backward per step, best of \(repeats)")
        print("FLOP ceiling: 4 × \(String(format: "%.1f", Double(model.parameterCount) / 1e6))M parameters = \(String(format: "%.2f", flopsPerToken / 1e9)) GFLOP per token, against sgemm GFLOP/s measured now (\(tokens.count)×\(c.embedding)·\(c.embedding)×\(c.feedForward), rows split over the threads)")
        print("")
        print(TextTable.render(["threads", "train tok/s", "sgemm GFLOP/s", "ceiling tok/s", "of ceiling", "useful GFLOP/s"], rows))
    }
}
