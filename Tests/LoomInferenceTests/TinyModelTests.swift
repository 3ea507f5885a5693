import Foundation
import LoomInference
import Testing

/// A two-layer Llama with random weights in every supported format, written to a GGUF file by the test, loaded by
/// the engine, and checked against the same network computed here in Double, straight from the definitions.
/// Fast, and independent of the downloaded models.
struct TinyModelTests {
    /// The weights as the reference sees them.
    struct Network {
        let configuration = LlamaConfiguration(
            layers: 2, embedding: 64, feedForward: 96, heads: 4, kvHeads: 2, vocabulary: 100, context: 64, ropeBase: 10_000, epsilon: 1e-5)
        var embedding: [[Double]] = []
        var outputNorm: [Double] = []
        var layers: [[String: [[Double]]]] = []
        var norms: [[String: [Double]]] = []
        var file = TinyGGUF()

        /// Layer 0 is Q4_1 throughout; layer 1 mixes Q4_0, Q8_0 and F32; the tied embedding is Q8_0.
        init(seed: UInt64) {
            var generator = SplitMix64(seed: seed)
            let c = configuration
            let tokens = (0..<c.vocabulary).map { "t\($0)" }
            file.metadata = [
                ("general.architecture", .string("llama")), ("llama.block_count", .uint32(UInt32(c.layers))),
                ("llama.embedding_length", .uint32(UInt32(c.embedding))), ("llama.feed_forward_length", .uint32(UInt32(c.feedForward))),
                ("llama.attention.head_count", .uint32(UInt32(c.heads))), ("llama.attention.head_count_kv", .uint32(UInt32(c.kvHeads))),
                ("llama.context_length", .uint32(UInt32(c.context))), ("llama.rope.freq_base", .float32(c.ropeBase)),
                ("llama.attention.layer_norm_rms_epsilon", .float32(c.epsilon)), ("tokenizer.ggml.model", .string("gpt2")),
                ("tokenizer.ggml.tokens", .strings(tokens)), ("tokenizer.ggml.token_type", .int32s(Array(repeating: 1, count: c.vocabulary))),
                ("tokenizer.ggml.merges", .strings([])), ("tokenizer.ggml.eos_token_id", .uint32(0)),
            ]
            func matrix(_ name: String, _ type: TensorType, rows: Int, columns: Int) -> [[Double]] {
                let random = RandomMatrix(type, rows: rows, columns: columns, generator: &generator)
                file.tensors.append(.init(name: name, dimensions: [columns, rows], type: type, bytes: random.bytes))
                return random.weights
            }
            func norm(_ name: String) -> [Double] {
                let values = (0..<c.embedding).map { _ in Float.random(in: 0.5...1.5, using: &generator) }
                file.tensors.append(.init(name: name, dimensions: [c.embedding], type: .f32, bytes: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }))
                return values.map(Double.init)
            }
            embedding = matrix("token_embd.weight", .q8_0, rows: c.vocabulary, columns: c.embedding)
            outputNorm = norm("output_norm.weight")
            let formats: [[TensorType]] = [Array(repeating: .q4_1, count: 7), [.q4_0, .q8_0, .f32, .q4_0, .q8_0, .f32, .q4_1]]
            for (index, types) in formats.enumerated() {
                let p = "blk.\(index)."
                norms.append(["attn": norm(p + "attn_norm.weight"), "ffn": norm(p + "ffn_norm.weight")])
                layers.append([
                    "q": matrix(p + "attn_q.weight", types[0], rows: c.embedding, columns: c.embedding),
                    "k": matrix(p + "attn_k.weight", types[1], rows: c.kvWidth, columns: c.embedding),
                    "v": matrix(p + "attn_v.weight", types[2], rows: c.kvWidth, columns: c.embedding),
                    "o": matrix(p + "attn_output.weight", types[3], rows: c.embedding, columns: c.embedding),
                    "gate": matrix(p + "ffn_gate.weight", types[4], rows: c.feedForward, columns: c.embedding),
                    "up": matrix(p + "ffn_up.weight", types[5], rows: c.feedForward, columns: c.embedding),
                    "down": matrix(p + "ffn_down.weight", types[6], rows: c.embedding, columns: c.feedForward),
                ])
            }
        }

        /// Logits after each token, one token at a time with a key/value cache; with a LoRA adapter (whose
        /// parameters are given in Double, so finite differences can perturb them finely), every projection adds
        /// `alpha/rank · B (A x)`. With `halfCache`, keys and values are rounded to half precision as they enter the
        /// cache, as the inference engine stores them (training keeps them in Float).
        func logits(_ tokens: [Int], adapter: LoraAdapter? = nil, parameters: [Double]? = nil, halfCache: Bool = false) -> [[Double]] {
            let c = configuration
            let (dimension, group) = (c.headDimension, c.heads / c.kvHeads)
            func times(_ m: [[Double]], _ x: [Double]) -> [Double] { m.map { zip($0, x).reduce(0) { $0 + $1.0 * $1.1 } } }
            let targets: [String: LoraTarget] = ["q": .query, "k": .key, "v": .value, "o": .output, "gate": .gate, "up": .up, "down": .down]
            func project(_ layer: Int, _ name: String, _ x: [Double]) -> [Double] {
                var y = times(layers[layer][name]!, x)
                guard let adapter else { return y }
                let p = parameters ?? adapter.parameters.map(Double.init)
                let slot = adapter.slot(layer: layer, target: targets[name]!)
                let hidden = (0..<adapter.rank).map { i in (0..<slot.columns).reduce(0.0) { $0 + p[slot.a + i * slot.columns + $1] * x[$1] } }
                for row in 0..<slot.rows {
                    let delta = (0..<adapter.rank).reduce(0.0) { $0 + p[slot.b + row * adapter.rank + $1] * hidden[$1] }
                    y[row] += Double(adapter.alpha) / Double(adapter.rank) * delta
                }
                return y
            }
            func rms(_ x: [Double], _ w: [Double]) -> [Double] {
                let scale = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + Double(c.epsilon)).squareRoot()
                return zip(x, w).map { $0 * scale * $1 }
            }
            func rope(_ v: [Double], position: Int) -> [Double] {
                var v = v
                for start in stride(from: 0, to: v.count, by: dimension) {
                    for pair in 0..<dimension / 2 {
                        let angle = Double(position) * pow(Double(c.ropeBase), -2 * Double(pair) / Double(dimension))
                        let (a, b) = (v[start + 2 * pair], v[start + 2 * pair + 1])
                        v[start + 2 * pair] = a * cos(angle) - b * sin(angle)
                        v[start + 2 * pair + 1] = a * sin(angle) + b * cos(angle)
                    }
                }
                return v
            }
            var keys = Array(repeating: [[Double]](), count: c.layers)
            var values = keys
            var result: [[Double]] = []
            for (position, token) in tokens.enumerated() {
                var x = embedding[token]
                for l in layers.indices {
                    let h = rms(x, norms[l]["attn"]!)
                    let q = rope(project(l, "q", h), position: position)
                    let stored = { (values: [Double]) in halfCache ? values.map { Double(Float16($0)) } : values }
                    keys[l].append(stored(rope(project(l, "k", h), position: position)))
                    values[l].append(stored(project(l, "v", h)))
                    var attended: [Double] = []
                    for head in 0..<c.heads {
                        let kv = (head / group) * dimension
                        let query = q[head * dimension..<(head + 1) * dimension]
                        let scores = keys[l].map { key in zip(query, key[kv..<kv + dimension]).reduce(0) { $0 + $1.0 * $1.1 } / Double(dimension).squareRoot() }
                        let exps = scores.map { exp($0 - scores.max()!) }
                        let total = exps.reduce(0, +)
                        attended += (0..<dimension).map { d in zip(exps, values[l]).reduce(0) { $0 + $1.0 / total * $1.1[kv + d] } }
                    }
                    x = zip(x, project(l, "o", attended)).map(+)
                    let g = rms(x, norms[l]["ffn"]!)
                    let gate = project(l, "gate", g), up = project(l, "up", g)
                    x = zip(x, project(l, "down", zip(gate, up).map { $0 / (1 + exp(-$0)) * $1 })).map(+)
                }
                result.append(times(embedding, rms(x, outputNorm)))
            }
            return result
        }

        func load() throws -> LlamaModel {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-tiny-\(UUID().uuidString).gguf").path
            try file.write(to: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try LlamaModel(path: path)
        }
    }

    static func worst(_ engine: [Float], _ reference: [Double]) -> Double {
        zip(engine, reference).map { abs(Double($0) - $1) }.max() ?? .infinity
    }

    @Test(arguments: [1, 2])
    func prefillBatchesAndSingleStepsMatchTheDoubleReference(threads: Int) throws {
        let network = Network(seed: 11)
        let model = try network.load()
        #expect(model.configuration == network.configuration)
        let tokens = [5, 17, 42, 99, 3, 3, 64, 28, 71, 9, 50, 12, 88, 1, 36, 77, 20, 45]
        let reference = network.logits(tokens, halfCache: true)
        let runner = LlamaRunner(model: model, pool: ComputePool(threads: threads))
        let cache = runner.makeCache()
        // 11 tokens at once (the sgemm path), then single steps, then a pass of 4 (the four-vector kernel).
        var logits: [[Float]] = []
        for span in [0..<11, 11..<12, 12..<13, 13..<14, 14..<18] {
            logits += runner.forward(span.map { .init(token: tokens[$0], position: $0, cache: cache, wantsLogits: true) })
        }
        #expect(logits.count == tokens.count)
        for (position, (engine, expected)) in zip(logits, reference).enumerated() {
            let scale = expected.map(abs).max()!
            #expect(Self.worst(engine, expected) < 1e-4 * max(scale, 1), "position \(position): off by \(Self.worst(engine, expected)), logits up to \(scale)")
        }
    }

    @Test func aWeightPassIsTimedAndLeavesTheRunnerComputingTheSameLogits() throws {
        let network = Network(seed: 11)
        let runner = LlamaRunner(model: try network.load(), pool: ComputePool(threads: 2))
        let tokens = [5, 17, 42, 99]
        func logits() -> [[Float]] {
            let cache = runner.makeCache()
            return tokens.indices.flatMap { runner.forward([.init(token: tokens[$0], position: $0, cache: cache, wantsLogits: true)]) }
        }
        let before = logits()
        for vectors in [1, 8] {
            let seconds = runner.weightPassSeconds(vectors: vectors, repeats: 2)
            #expect(seconds > 0 && seconds < 1, "\(vectors) vectors: \(seconds) s")
        }
        #expect(logits() == before)
    }

    @Test func greedyGenerationFollowsTheReferenceArgmax() throws {
        let network = Network(seed: 34)
        let generator = TextGenerator(runner: LlamaRunner(model: try network.load(), pool: ComputePool(threads: 2)))
        var context = [7, 21, 60]
        let result = generator.generate(GenerationRequest(prompt: context, maxTokens: 10))
        var expected: [Int] = []
        for _ in 0..<10 {
            let last = network.logits(context, halfCache: true).last!
            let next = last.indices.max { last[$0] < last[$1] }!
            expected.append(next)
            if next == 0 { break }
            context.append(next)
        }
        #expect(result.tokens == expected)
        #expect(Set(expected).count > 4, "the seed gives a varied continuation, so the comparison means something")
    }
}
