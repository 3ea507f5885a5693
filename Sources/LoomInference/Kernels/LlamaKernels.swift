/// The element-wise parts of a Llama block, shared by inference (`LlamaRunner`) and training (`LlamaTrainer`),
/// forward and backward, on raw pointers with wrapping index arithmetic so the loops vectorise.
enum LlamaKernels {
    /// `output = x / rms(x) · weight` for `rows` rows; the inverse rms of each row goes to `inverse` when given
    /// (training keeps it for the backward pass).
    static func rmsNorm(
        _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, width: Int, epsilon: Float, rows: Int,
        into output: UnsafeMutablePointer<Float>, inverse: UnsafeMutablePointer<Float>? = nil
    ) {
        for row in 0..<rows {
            let source = x + row &* width
            let target = output + row &* width
            let squares = VectorKernels.dot(source, source, count: width)
            let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
            inverse?[row] = scale
            for index in 0..<width { target[index] = source[index] * scale * weight[index] }
        }
    }

    /// `dx += ∂(rmsNorm)/∂x · dy` from the saved input and inverse rms:
    /// dx_j += r·w_j·dy_j − x_j·r³/n · Σ_k x_k·w_k·dy_k.
    static func rmsNormBackward(
        _ x: UnsafePointer<Float>, inverse: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        width: Int, rows: Int, into dx: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<rows {
            let xs = x + row &* width
            let gradient = dy + row &* width
            let target = dx + row &* width
            let r = inverse[row]
            var projection: Float = 0
            for k in 0..<width { projection += xs[k] * weight[k] * gradient[k] }
            let correction = projection * r * r * r / Float(width)
            for j in 0..<width { target[j] += r * weight[j] * gradient[j] - xs[j] * correction }
        }
    }

    /// `output = silu(gate) × up`. The exponential is `RowKernels.exp`, so the loop vectorises: libm's expf is a
    /// call per value, and was 2% of batched decoding.
    static func swiGLU(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>) {
        for index in 0..<count {
            let g = gate[index]
            output[index] = g / (1 + RowKernels.exp(-g)) * up[index]
        }
    }

    /// Gradients of `silu(gate) × up` with respect to gate and up, from the gradient of the product.
    static func swiGLUBackward(
        _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, count: Int,
        gateGradient: UnsafeMutablePointer<Float>, upGradient: UnsafeMutablePointer<Float>
    ) {
        for index in 0..<count {
            let g = gate[index]
            let sigmoid = 1 / (1 + RowKernels.exp(-g))
            let silu = g * sigmoid
            upGradient[index] = dy[index] * silu
            gateGradient[index] = dy[index] * up[index] * sigmoid * (1 + g * (1 - sigmoid))
        }
    }

    static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { target[index] += source[index] }
    }
}
