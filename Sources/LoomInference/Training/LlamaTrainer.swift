import Foundation

/// Trains LoRA adapters on a frozen `LlamaModel`: a forward pass over a whole sequence that keeps what the
/// backward pass needs, cross-entropy on the weighted target tokens, and the backward pass down to every adapter's
/// A and B. The base weights stay quantised in the file mapping: gradients flow through them a dequantised tile at
/// a time (`Linear.accumulateTransposed`). Holds the scratch memory of a pass, so one trainer serves one caller at
/// a time.
public final class LlamaTrainer: @unchecked Sendable {
    // Mutable scratch, used by one pass at a time (the job runner's thread).
    public let model: LlamaModel
    public let pool: ComputePool
    private let linear: Linear
    private let rotary: RotaryEmbedding
    private let attention: CausalAttention
    private let norms: FloatSlab
    private var blocks: [BlockActivations] = []
    private var scratch = FloatSlab([])
    private var headScratch = FloatSlab([])
    /// Rows of logits computed at once: bounds the memory of the vocabulary-wide output.
    static let logitRows = 64

    public init(model: LlamaModel, pool: ComputePool) {
        self.model = model
        self.pool = pool
        self.linear = Linear(pool: pool)
        self.rotary = RotaryEmbedding(model.configuration)
        self.attention = CausalAttention(configuration: model.configuration, pool: pool)
        let c = model.configuration
        norms = FloatSlab(Array(repeating: c.embedding, count: 2 * c.layers + 1))
        for (index, layer) in model.layers.enumerated() {
            norms.buffers[2 * index].update(from: layer.attentionNorm, count: c.embedding)
            norms.buffers[2 * index + 1].update(from: layer.feedForwardNorm, count: c.embedding)
        }
        norms.buffers[2 * c.layers].update(from: model.outputNorm, count: c.embedding)
        headScratch = FloatSlab([Self.logitRows * c.embedding, Self.logitRows * c.embedding, Self.logitRows, Self.logitRows * c.vocabulary,
            Self.logitRows * c.embedding])
    }

    /// The loss of one sequence under the adapter (or the base model), without gradients: validation.
    public func loss(_ example: TrainingExample, adapter: LoraAdapter?) -> TrainingLoss {
        run(example, adapter: adapter, gradients: nil)
    }

    /// The loss of one sequence, summed over its target tokens, with its gradient added into `gradients` (laid out
    /// as `adapter.parameters`).
    public func accumulateGradients(_ example: TrainingExample, adapter: LoraAdapter, into gradients: inout [Float]) -> TrainingLoss {
        precondition(gradients.count == adapter.parameters.count, "gradients are laid out as the adapter's parameters")
        return gradients.withUnsafeMutableBufferPointer { run(example, adapter: adapter, gradients: $0.baseAddress!) }
    }

    private func run(_ example: TrainingExample, adapter: LoraAdapter?, gradients: UnsafeMutablePointer<Float>?) -> TrainingLoss {
        let count = example.tokens.count
        guard count > 1, example.targetWeight > 0 else { return TrainingLoss() }
        precondition(example.tokens.allSatisfy { (0..<model.configuration.vocabulary).contains($0) }, "token ids within the vocabulary")
        reserve(count, rank: adapter?.rank ?? 0)
        let parameters = adapter?.parameters ?? []
        return parameters.withUnsafeBufferPointer { parameters in
            let lora = adapter.map { Lora(adapter: $0, parameters: parameters.baseAddress!, gradients: gradients) }
            let x = scratch.buffers[0]
            forward(example.tokens, lora: lora, x: x)
            let dx = scratch.buffers[1]
            if gradients != nil { dx.initialize(repeating: 0, count: count * model.configuration.embedding) }
            let loss = head(example, x: x, gradient: gradients == nil ? nil : dx)
            if gradients != nil { backward(count, lora: lora!, dx: dx) }
            return loss
        }
    }

    /// The adapter's parameters and where its gradients go, for one pass.
    private struct Lora {
        let adapter: LoraAdapter
        let parameters: UnsafePointer<Float>
        let gradients: UnsafeMutablePointer<Float>?
    }

    private func reserve(_ length: Int, rank: Int) {
        let c = model.configuration
        if blocks.first.map({ $0.length < length || $0.rank != rank }) ?? true {
            let capacity = max(length, blocks.first?.length ?? 0)
            blocks = (0..<c.layers).map { _ in BlockActivations(configuration: c, length: capacity, rank: rank) }
            let (e, kv, f) = (capacity * c.embedding, capacity * c.kvWidth, capacity * c.feedForward)
            // x, dx, projected, dNormed, dQuery, dKey, dValue, dAttention, dGate, dUp, dProduct, low-rank scratch
            scratch = FloatSlab([e, e, e, e, e, kv, kv, e, f, f, f, capacity * max(rank, 1)])
        }
    }

    private func forward(_ tokens: [Int], lora: Lora?, x: UnsafeMutablePointer<Float>) {
        let c = model.configuration
        let n = tokens.count
        let projected = scratch.buffers[2]
        for (index, token) in tokens.enumerated() {
            QuantKernels.dequantizeRow(model.embedding.row(token), type: model.embedding.type, count: c.embedding, into: x + index * c.embedding)
        }
        func project(_ layer: Int, _ target: LoraTarget, _ w: WeightMatrix, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
            linear.apply(w, input, count: n, into: output)
            guard let lora else { return }
            let slot = lora.adapter.slot(layer: layer, target: target)
            LoraKernels.forward(
                lora.parameters, slot, rank: lora.adapter.rank, scale: lora.adapter.scale, input: input, count: n,
                hidden: blocks[layer].hidden[target.rawValue], output: output)
        }
        let turns = rotary.turns(for: 0..<n)
        for (index, layer) in model.layers.enumerated() {
            let block = blocks[index]
            block.input.update(from: x, count: n * c.embedding)
            LlamaKernels.rmsNorm(x, norms.buffers[2 * index], width: c.embedding, epsilon: c.epsilon, rows: n, into: block.normed, inverse: block.inverse)
            project(index, .query, layer.query, block.normed, block.query)
            project(index, .key, layer.key, block.normed, block.key)
            project(index, .value, layer.value, block.normed, block.value)
            rotary.rotate(queries: block.query, heads: c.heads, keys: block.key, kvHeads: c.kvHeads, count: n, turns: turns)
            attention.forward(query: block.query, key: block.key, value: block.value, count: n, into: block.attention, logSumExp: block.logSumExp)
            project(index, .output, layer.attentionOutput, block.attention, projected)
            LlamaKernels.add(projected, into: x, count: n * c.embedding)
            block.middle.update(from: x, count: n * c.embedding)
            LlamaKernels.rmsNorm(
                x, norms.buffers[2 * index + 1], width: c.embedding, epsilon: c.epsilon, rows: n, into: block.normed2, inverse: block.inverse2)
            project(index, .gate, layer.gate, block.normed2, block.gate)
            project(index, .up, layer.up, block.normed2, block.up)
            LlamaKernels.swiGLU(block.gate, block.up, count: n * c.feedForward, into: block.product)
            project(index, .down, layer.down, block.product, projected)
            LlamaKernels.add(projected, into: x, count: n * c.embedding)
        }
    }

    /// Cross-entropy of the target tokens from the final hidden states `x`, a chunk of rows at a time; with a
    /// gradient buffer, the gradient of the summed loss with respect to `x` is added into it.
    private func head(_ example: TrainingExample, x: UnsafePointer<Float>, gradient dx: UnsafeMutablePointer<Float>?) -> TrainingLoss {
        let c = model.configuration
        let (gathered, normed, inverse, logits, dNormed) =
            (headScratch.buffers[0], headScratch.buffers[1], headScratch.buffers[2], headScratch.buffers[3], headScratch.buffers[4])
        // Position p predicts token p + 1.
        let positions = (0..<example.tokens.count - 1).filter { example.weights[$0 + 1] > 0 }
        var loss = TrainingLoss()
        for start in stride(from: 0, to: positions.count, by: Self.logitRows) {
            let chunk = positions[start..<min(start + Self.logitRows, positions.count)]
            for (row, position) in chunk.enumerated() {
                (gathered + row * c.embedding).update(from: x + position * c.embedding, count: c.embedding)
            }
            let outputNorm = norms.buffers[2 * c.layers]
            LlamaKernels.rmsNorm(gathered, outputNorm, width: c.embedding, epsilon: c.epsilon, rows: chunk.count, into: normed, inverse: inverse)
            linear.apply(model.output, normed, count: chunk.count, into: logits)
            for (row, position) in chunk.enumerated() {
                let z = logits + row * c.vocabulary
                let target = example.tokens[position + 1]
                let weight = example.weights[position + 1]
                var maximum = -Float.infinity
                for v in 0..<c.vocabulary { maximum = max(maximum, z[v]) }
                var total: Float = 0
                for v in 0..<c.vocabulary { total += expf(z[v] - maximum) }
                let logSumExp = maximum + logf(total)
                loss.sum += Double(weight) * Double(logSumExp - z[target])
                loss.weight += Double(weight)
                guard dx != nil else { continue }
                // d(loss)/dz = weight · (softmax(z) − onehot(target))
                for v in 0..<c.vocabulary { z[v] = weight * expf(z[v] - logSumExp) }
                z[target] -= weight
            }
            guard let dx else { continue }
            dNormed.initialize(repeating: 0, count: chunk.count * c.embedding)
            linear.accumulateTransposed(model.output, logits, count: chunk.count, into: dNormed)
            // The norm's gradient for the gathered rows, scattered back to their positions.
            normed.initialize(repeating: 0, count: chunk.count * c.embedding)
            LlamaKernels.rmsNormBackward(gathered, inverse: inverse, outputNorm, dNormed, width: c.embedding, rows: chunk.count, into: normed)
            for (row, position) in chunk.enumerated() {
                LlamaKernels.add(normed + row * c.embedding, into: dx + position * c.embedding, count: c.embedding)
            }
        }
        return loss
    }

    private func backward(_ n: Int, lora: Lora, dx: UnsafeMutablePointer<Float>) {
        let c = model.configuration
        let s = scratch.buffers
        let (dNormed, dQuery, dKey, dValue, dAttention, dGate, dUp, dProduct, low) = (s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11])
        let adapter = lora.adapter
        let gradients = lora.gradients!
        /// dInput += Wᵀ dY through the frozen base, plus the adapter's share, whose own gradients are added too.
        func backProject(
            _ layer: Int, _ target: LoraTarget, _ w: WeightMatrix, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
            inputGradient: UnsafeMutablePointer<Float>
        ) {
            linear.accumulateTransposed(w, outputGradient, count: n, into: inputGradient)
            LoraKernels.backward(
                lora.parameters, adapter.slot(layer: layer, target: target), rank: adapter.rank, scale: adapter.scale, input: input,
                hidden: blocks[layer].hidden[target.rawValue], outputGradient: outputGradient, count: n, scratch: low, gradients: gradients,
                inputGradient: inputGradient)
        }
        let turns = rotary.turns(for: 0..<n)
        for (index, layer) in model.layers.enumerated().reversed() {
            let block = blocks[index]
            dProduct.initialize(repeating: 0, count: n * c.feedForward)
            backProject(index, .down, layer.down, input: block.product, outputGradient: dx, inputGradient: dProduct)
            LlamaKernels.swiGLUBackward(block.gate, block.up, dProduct, count: n * c.feedForward, gateGradient: dGate, upGradient: dUp)
            dNormed.initialize(repeating: 0, count: n * c.embedding)
            backProject(index, .gate, layer.gate, input: block.normed2, outputGradient: dGate, inputGradient: dNormed)
            backProject(index, .up, layer.up, input: block.normed2, outputGradient: dUp, inputGradient: dNormed)
            LlamaKernels.rmsNormBackward(
                block.middle, inverse: block.inverse2, norms.buffers[2 * index + 1], dNormed, width: c.embedding, rows: n, into: dx)

            dAttention.initialize(repeating: 0, count: n * c.embedding)
            backProject(index, .output, layer.attentionOutput, input: block.attention, outputGradient: dx, inputGradient: dAttention)
            attention.backward(
                query: block.query, key: block.key, value: block.value, output: block.attention, logSumExp: block.logSumExp,
                outputGradient: dAttention, count: n, queryGradient: dQuery, keyGradient: dKey, valueGradient: dValue)
            rotary.rotate(queries: dQuery, heads: c.heads, keys: dKey, kvHeads: c.kvHeads, count: n, turns: turns, inverse: true)
            dNormed.initialize(repeating: 0, count: n * c.embedding)
            backProject(index, .query, layer.query, input: block.normed, outputGradient: dQuery, inputGradient: dNormed)
            backProject(index, .key, layer.key, input: block.normed, outputGradient: dKey, inputGradient: dNormed)
            backProject(index, .value, layer.value, input: block.normed, outputGradient: dValue, inputGradient: dNormed)
            LlamaKernels.rmsNormBackward(block.input, inverse: block.inverse, norms.buffers[2 * index], dNormed, width: c.embedding, rows: n, into: dx)
        }
    }
}
