extension LlamaRunner {
    /// Seconds for one pass over every weight matrix with `vectors` vectors, best of `repeats`: a decode step's
    /// weight work and nothing else (no attention, norms or sampling). Eight vectors' pass against one's is what
    /// the weight kernels themselves gain from decoding eight sequences together on this machine, where memory
    /// bandwidth bounds one vector and arithmetic bounds eight; `loom bench inference` prints it beside the
    /// 8-stream figure.
    public func weightPassSeconds(vectors: Int, repeats: Int) -> Double {
        let c = model.configuration
        // Each product of a call writes a region of its own, as in a forward pass (the threads write them at once).
        let (queries, keys, values) = (0, vectors * c.embedding, vectors * (c.embedding + c.kvWidth))
        let (gates, ups) = (0, vectors * c.feedForward)
        let outputs = vectors * max(c.vocabulary, c.embedding + 2 * c.kvWidth, 2 * c.feedForward)
        let input = UnsafeMutablePointer<Float>.allocate(capacity: vectors * c.feedForward)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: outputs)
        defer {
            input.deallocate()
            output.deallocate()
        }
        // Values of an ordinary size: zeros or NaNs would take the kernels' shortcuts.
        for index in 0..<vectors * c.feedForward { input[index] = Float(index % 7) / 7 - 0.5 }
        func pass() {
            for layer in model.layers {
                linear.apply([(layer.query, output + queries), (layer.key, output + keys), (layer.value, output + values)], input, count: vectors)
                linear.apply(layer.attentionOutput, input, count: vectors, into: output)
                linear.apply([(layer.gate, output + gates), (layer.up, output + ups)], input, count: vectors)
                linear.apply(layer.down, input, count: vectors, into: output)
            }
            linear.apply(model.output, input, count: vectors, into: output)
        }
        pass()
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let started = ContinuousClock.now
            pass()
            let elapsed = (ContinuousClock.now - started).components
            best = min(best, Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
        }
        return best
    }
}
