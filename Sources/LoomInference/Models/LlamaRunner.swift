import Foundation

/// Runs a `LlamaModel` over batches of tokens: the prompt of one sequence at once (prefill), or one token of each
/// of several sequences (batched decode) — the weights are read once for the whole batch either way. Holds the
/// scratch memory of a pass, so one runner serves one caller at a time.
public final class LlamaRunner: @unchecked Sendable {
    // Mutable scratch, used by `forward` only, which callers serialise (the worker's scheduler thread).
    public struct Step {
        public var token: Int
        public var position: Int
        public var cache: KVCache
        public var wantsLogits: Bool
        public var adapter: ServedAdapter?

        public init(token: Int, position: Int, cache: KVCache, wantsLogits: Bool, adapter: ServedAdapter? = nil) {
            self.token = token
            self.position = position
            self.cache = cache
            self.wantsLogits = wantsLogits
            self.adapter = adapter
        }
    }

    public let model: LlamaModel
    public let pool: ComputePool
    let linear: Linear
    private var capacity = 0
    private var x: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var normed: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var q: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var k: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var v: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var attention: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var projected: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var gate: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var up: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private let rotary: RotaryEmbedding
    /// Low-rank scratch of adapted steps (`A x`).
    private var hidden: [Float] = []

    public init(model: LlamaModel, pool: ComputePool) {
        self.model = model
        self.pool = pool
        self.linear = Linear(pool: pool)
        rotary = RotaryEmbedding(model.configuration)
    }

    deinit {
        for buffer in [x, normed, q, k, v, attention, projected, gate, up] { buffer.deallocate() }
    }

    public func makeCache() -> KVCache {
        KVCache(layers: model.configuration.layers, heads: model.configuration.kvHeads, dimension: model.configuration.headDimension)
    }

    private func reserve(_ count: Int) {
        guard count > capacity else { return }
        let c = model.configuration
        for buffer in [x, normed, q, k, v, attention, projected, gate, up] { buffer.deallocate() }
        x = .allocate(capacity: count * c.embedding)
        normed = .allocate(capacity: count * c.embedding)
        q = .allocate(capacity: count * c.embedding)
        k = .allocate(capacity: count * c.kvWidth)
        v = .allocate(capacity: count * c.kvWidth)
        attention = .allocate(capacity: count * c.embedding)
        projected = .allocate(capacity: count * c.embedding)
        gate = .allocate(capacity: count * c.feedForward)
        up = .allocate(capacity: count * c.feedForward)
        capacity = count
    }

    /// Runs the steps through the model, filling each sequence's cache, and returns the logits of the steps that
    /// asked for them, in order.
    public func forward(_ steps: [Step]) -> [[Float]] {
        let c = model.configuration
        let n = steps.count
        guard n > 0 else { return [] }
        reserve(n)
        for step in steps { step.cache.reserve(step.position + 1) }
        for (index, step) in steps.enumerated() {
            QuantKernels.dequantizeRow(model.embedding.row(step.token), type: model.embedding.type, count: c.embedding, into: x + index * c.embedding)
        }
        let turns = rotary.turns(for: steps.map(\.position))
        for (layerIndex, layer) in model.layers.enumerated() {
            rmsNorm(x, layer.attentionNorm, count: n, into: normed)
            project(steps, layerIndex, [(.query, layer.query, q), (.key, layer.key, k), (.value, layer.value, v)], normed)
            rotary.rotate(queries: q, heads: c.heads, keys: k, kvHeads: c.kvHeads, count: n, turns: turns)
            for (index, step) in steps.enumerated() {
                step.cache.store(layer: layerIndex, position: step.position, keys: k + index * c.kvWidth, values: v + index * c.kvWidth)
            }
            attend(steps, layer: layerIndex)
            project(steps, layerIndex, [(.output, layer.attentionOutput, projected)], attention)
            LlamaKernels.add(projected, into: x, count: n * c.embedding)
            rmsNorm(x, layer.feedForwardNorm, count: n, into: normed)
            project(steps, layerIndex, [(.gate, layer.gate, gate), (.up, layer.up, up)], normed)
            LlamaKernels.swiGLU(gate, up, count: n * c.feedForward, into: gate)
            project(steps, layerIndex, [(.down, layer.down, projected)], gate)
            LlamaKernels.add(projected, into: x, count: n * c.embedding)
        }
        for step in steps { step.cache.count = max(step.cache.count, step.position + 1) }

        let wanted = steps.indices.filter { steps[$0].wantsLogits }
        guard !wanted.isEmpty else { return [] }
        for (row, index) in wanted.enumerated() {
            (normed + row * c.embedding).update(from: x + index * c.embedding, count: c.embedding)
        }
        rmsNorm(normed, model.outputNorm, count: wanted.count, into: normed)
        var logits = [Float](repeating: 0, count: wanted.count * c.vocabulary)
        logits.withUnsafeMutableBufferPointer { buffer in
            linear.apply(model.output, normed, count: wanted.count, into: buffer.baseAddress!)
        }
        return (0..<wanted.count).map { Array(logits[$0 * c.vocabulary..<($0 + 1) * c.vocabulary]) }
    }

    /// `W x` for every step and each of the layer's matrices that read `input`, plus the low-rank path of each
    /// step's adapter.
    private func project(
        _ steps: [Step], _ layer: Int, _ products: [(target: LoraTarget, matrix: WeightMatrix, output: UnsafeMutablePointer<Float>)],
        _ input: UnsafeMutablePointer<Float>
    ) {
        linear.apply(products.map { ($0.matrix, $0.output) }, input, count: steps.count)
        for product in products { adapt(steps, layer, product.target, product.matrix, input, into: product.output) }
    }

    /// Adds each step's adapter's low-rank path to `output`: consecutive steps of one adapter (a prompt's tokens)
    /// share one pass.
    private func adapt(
        _ steps: [Step], _ layer: Int, _ target: LoraTarget, _ w: WeightMatrix, _ input: UnsafeMutablePointer<Float>,
        into output: UnsafeMutablePointer<Float>
    ) {
        var start = 0
        while start < steps.count {
            var end = start + 1
            while end < steps.count && steps[end].adapter === steps[start].adapter { end += 1 }
            if let served = steps[start].adapter {
                let adapter = served.adapter
                let slot = adapter.slot(layer: layer, target: target)
                if hidden.count < (end - start) * adapter.rank { hidden = [Float](repeating: 0, count: (end - start) * adapter.rank) }
                adapter.parameters.withUnsafeBufferPointer { parameters in
                    hidden.withUnsafeMutableBufferPointer { hidden in
                        LoraKernels.forward(
                            parameters.baseAddress!, slot, rank: adapter.rank, scale: adapter.scale, input: input + start * slot.columns,
                            count: end - start, hidden: hidden.baseAddress!, output: output + start * slot.rows)
                    }
                }
            }
            start = end
        }
    }

    private func rmsNorm(_ input: UnsafeMutablePointer<Float>, _ weight: [Float], count: Int, into output: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { w in
            LlamaKernels.rmsNorm(input, w.baseAddress!, width: w.count, epsilon: model.configuration.epsilon, rows: count, into: output)
        }
    }

    /// Grouped-query attention of every step over its sequence's cache up to its own position. A job is the query
    /// heads that share a cache head (`HeadAttention` reads its values once for them all); claimed one at a time,
    /// the long positions of a prompt do not all fall to one thread.
    private func attend(_ steps: [Step], layer: Int) {
        let c = model.configuration
        let dimension = c.headDimension
        let group = c.heads / c.kvHeads
        let scale = 1 / Float(dimension).squareRoot()
        let longest = steps.map(\.position).max()! + 1
        let (q, attention) = (self.q, self.attention)
        pool.forEachChunk(steps.count * c.kvHeads, chunk: 1) { jobs in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: group * longest) { scores in
                for job in jobs {
                    let (index, kvHead) = job.quotientAndRemainder(dividingBy: c.kvHeads)
                    let step = steps[index]
                    let offset = index * c.embedding + kvHead * group * dimension
                    HeadAttention.attend(
                        queries: q + offset, heads: group, keys: step.cache.keys(layer: layer, head: kvHead),
                        values: step.cache.values(layer: layer, head: kvHead), length: step.position + 1, dimension: dimension,
                        scale: scale, scores: scores.baseAddress!, into: attention + offset)
                }
            }
        }
    }
}
