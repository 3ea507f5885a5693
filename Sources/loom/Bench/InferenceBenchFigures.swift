import COpenBLAS
import Foundation
import LoomInference

/// The measurements behind `loom bench inference`, each the best of a few repeats.
struct InferenceBenchFigures {
    let model: LlamaModel
    let encoder: BertEncoder
    let pool: ComputePool
    let repeats: Int

    /// Ordinary text, cut to a token count.
    func promptTokens(_ count: Int) -> [Int] {
        let text = Array(repeating: "The river runs past the old mill and into the valley.", count: count / 8 + 8).joined(separator: " ")
        return Array(model.encode(text).prefix(count))
    }

    func best(_ measure: () -> Double) -> Double {
        (0..<repeats).map { _ in measure() }.max() ?? 0
    }

    func prefillTokensPerSecond(_ count: Int) -> Double {
        let runner = LlamaRunner(model: model, pool: pool)
        let prompt = promptTokens(count)
        let generator = TextGenerator(runner: runner)
        return best {
            let started = ContinuousClock.now
            _ = generator.prefill(prompt, cache: runner.makeCache())
            return Double(prompt.count) / (ContinuousClock.now - started).seconds
        }
    }

    /// Decode tokens/s of one stream, of one stream constrained by `constraint`, and the aggregate of `streams`
    /// streams: each the best of the repeats, taken in turns, so that a slow spell of a shared machine falls on
    /// all three alike and not on one side of their ratios.
    func decodeFigures(streams: Int, tokens: Int, constraint: OutputConstraint) async -> (single: Double, constrained: Double, batched: Double) {
        var (single, constrained, batched) = (0.0, 0.0, 0.0)
        for _ in 0..<repeats {
            single = max(single, await decodeTokensPerSecond(streams: 1, tokens: tokens))
            constrained = max(constrained, await decodeTokensPerSecond(streams: 1, tokens: tokens, constraint: constraint))
            batched = max(batched, await decodeTokensPerSecond(streams: streams, tokens: tokens))
        }
        return (single, constrained, batched)
    }

    /// Single-stream decode tokens/s after a prompt of `context` tokens of ordinary text, best of the repeats: each
    /// step's attention then reads that many cached positions per head, where the short prompt's reads a few dozen.
    func longContextDecode(context: Int, tokens: Int) async -> Double {
        let prompt = promptTokens(context)
        var best = 0.0
        for _ in 0..<repeats { best = max(best, await decodeTokensPerSecond(streams: 1, tokens: tokens, prompt: prompt)) }
        return best
    }

    /// Aggregate tokens/s of `streams` sequences decoding `tokens` each through the batch scheduler, counted from
    /// their first token (so prefill is not in it). The default prompt makes greedy SmolLM2 count on, never
    /// stopping early. With `constraint`, each token is chosen under it.
    func decodeTokensPerSecond(streams: Int, tokens: Int, constraint: OutputConstraint? = nil, prompt: [Int]? = nil) async -> Double {
        let scheduler = BatchScheduler(runner: LlamaRunner(model: model, pool: pool), limits: .init(maxBatch: streams, prefillTokensPerPass: 512))
        defer { scheduler.shutdown() }
        let request = GenerationRequest(prompt: prompt ?? model.encode("1, 2, 3, 4, 5,"), maxTokens: tokens + 1, constraint: constraint)
        let submissions = (0..<streams).compactMap { _ in try? scheduler.submit(request) }
        let spans = await withTaskGroup(of: (ContinuousClock.Instant, ContinuousClock.Instant, Int).self) { group in
            for submission in submissions {
                group.addTask {
                    var first: ContinuousClock.Instant?
                    var produced = 0
                    for await event in submission.events {
                        if case .finished(let summary) = event { produced = summary.tokens.count }
                        if first == nil { first = .now }
                    }
                    return (first ?? .now, .now, produced)
                }
            }
            var spans: [(ContinuousClock.Instant, ContinuousClock.Instant, Int)] = []
            for await span in group { spans.append(span) }
            return spans
        }
        // After the first token of the first stream until the last stream ends: every stream's later tokens.
        let start = spans.map(\.0).min()!
        let end = spans.map(\.1).max()!
        let decoded = spans.map { $0.2 - 1 }.reduce(0, +)
        return Double(decoded) / (end - start).seconds
    }

    /// `vectors` × one vector's pass over the weights ÷ the pass with `vectors` (`LlamaRunner.weightPassSeconds`),
    /// each the best of 20 taken in turns.
    func weightPassGain(vectors: Int) -> Double {
        let runner = LlamaRunner(model: model, pool: pool)
        var (one, many) = (Double.infinity, Double.infinity)
        for _ in 0..<20 {
            one = min(one, runner.weightPassSeconds(vectors: 1, repeats: 1))
            many = min(many, runner.weightPassSeconds(vectors: vectors, repeats: 1))
        }
        return Double(vectors) * one / many
    }

    /// Passages/s for `count` passages of `tokens` tokens (in batches of 32), and sgemm GFLOP/s at the encoder's
    /// largest shape with rows split over the pool as the encoder splits them: each the best of the repeats, taken
    /// in turns, so that a slow spell of a shared machine falls on both sides of the ratio alike.
    func embeddingFigures(count: Int, tokens: Int) -> (passagesPerSecond: Double, sgemmGFLOPS: Double) {
        // Real words, exactly `tokens` ids with [CLS] and [SEP].
        let words = encoder.tokenizer.encode(Array(repeating: "the quiet river flows through green hills at dawn", count: tokens).joined(separator: " "), maxLength: 4096)
        let body = Array(words.dropFirst().prefix(tokens - 2))
        let passage = [words.first!] + body + [words.last!]
        let batch = Array(repeating: passage, count: count)
        _ = encoder.embed(tokenIds: Array(batch.prefix(2)))
        var (passages, gflops) = (0.0, 0.0)
        for _ in 0..<repeats {
            let started = ContinuousClock.now
            for start in stride(from: 0, to: count, by: 32) { _ = encoder.embed(tokenIds: Array(batch[start..<min(count, start + 32)])) }
            passages = max(passages, Double(count) / (ContinuousClock.now - started).seconds)
            gflops = max(gflops, SgemmCeiling.measure(pool: pool, rows: count * tokens, columns: encoder.intermediateSize, inner: encoder.hidden))
        }
        return (passages, gflops)
    }

    func passageFLOPs(tokens: Int) -> Double {
        Self.passageFLOPs(tokens: tokens, hidden: encoder.hidden, intermediate: encoder.intermediateSize, layers: 6)
    }

    /// Multiply-adds ×2 of one passage: four hidden×hidden projections, the two feed-forward matrices, and attention.
    static func passageFLOPs(tokens: Int, hidden: Int, intermediate: Int, layers: Int) -> Double {
        let t = Double(tokens), h = Double(hidden), f = Double(intermediate)
        return Double(layers) * (2 * t * (4 * h * h + 2 * h * f) + 2 * 2 * t * t * h)
    }

    /// GB/s at which the pool's threads read a 256 MB buffer, each summing its share, best of five: what decoding
    /// one stream, which reads every weight once per token, can at most stream its weights at on these threads.
    /// (A copy's bandwidth counts its writes too, which decoding does not do.)
    func readBandwidth() -> Double {
        let count = 64 << 20
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1, count: count)
        let totals = UnsafeMutablePointer<Float>.allocate(capacity: pool.threads)
        defer { totals.deallocate() }
        var best = 0.0
        for _ in 0..<5 {
            let started = ContinuousClock.now
            pool.run { part in
                let first = count / pool.threads * part
                let last = part == pool.threads - 1 ? count : first + count / pool.threads
                var sums = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                var index = first
                while index &+ 64 <= last {
                    let source = UnsafeRawPointer(buffer + index)
                    sums.0 += source.load(as: SIMD16<Float>.self)
                    sums.1 += source.load(fromByteOffset: 64, as: SIMD16<Float>.self)
                    sums.2 += source.load(fromByteOffset: 128, as: SIMD16<Float>.self)
                    sums.3 += source.load(fromByteOffset: 192, as: SIMD16<Float>.self)
                    index &+= 64
                }
                totals[part] = ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
            }
            best = max(best, Double(count * MemoryLayout<Float>.stride) / (ContinuousClock.now - started).seconds / 1e9)
        }
        // Reading the sums keeps the optimiser from dropping the reads.
        return (0..<pool.threads).reduce(0) { $0 + totals[$1] } > 0 ? best : 0
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
