import COpenBLAS

/// The low-rank path of one adapted projection, `y += s · B (A x)`, and its backward pass, through sgemm. `hidden`
/// (`A x` for every row, count × rank) is kept from the forward pass for the gradient of B.
enum LoraKernels {
    static func forward(
        _ parameters: UnsafePointer<Float>, _ slot: LoraAdapter.Slot, rank: Int, scale: Float, input: UnsafePointer<Float>, count: Int,
        hidden: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let (m, r, rows, columns) = (Int32(count), Int32(rank), Int32(slot.rows), Int32(slot.columns))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, r, columns, 1, input, columns, parameters + slot.a, columns, 0, hidden, r)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, rows, r, scale, hidden, r, parameters + slot.b, r, 1, output, rows)
    }

    /// Adds the gradients of A and B into `gradients` (the adapter's layout) and the gradient of the input into
    /// `inputGradient`. `scratch` holds count × rank floats.
    static func backward(
        _ parameters: UnsafePointer<Float>, _ slot: LoraAdapter.Slot, rank: Int, scale: Float, input: UnsafePointer<Float>,
        hidden: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, count: Int, scratch: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>
    ) {
        let (m, r, rows, columns) = (Int32(count), Int32(rank), Int32(slot.rows), Int32(slot.columns))
        // dB += s · dYᵀ · (A x)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, r, m, scale, outputGradient, rows, hidden, r, 1, gradients + slot.b, r)
        // u = s · dY · B, the gradient of A x
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, r, rows, scale, outputGradient, rows, parameters + slot.b, r, 0, scratch, r)
        // dA += uᵀ · x
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, columns, m, 1, scratch, r, input, columns, 1, gradients + slot.a, columns)
        // dx += u · A
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, columns, r, 1, scratch, r, parameters + slot.a, columns, 1, inputGradient, columns)
    }
}
