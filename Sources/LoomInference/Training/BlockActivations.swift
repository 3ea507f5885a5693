/// What the forward pass of one Llama block keeps for its backward pass, for up to `length` tokens: one allocation
/// carved into the block's input, normalised inputs and their inverse rms, projections, attention output and
/// log-sum-exps, MLP gate, up and product, and each adapted projection's low-rank hidden values.
final class BlockActivations {
    let length: Int
    let rank: Int
    private let slab: FloatSlab
    let input, normed, inverse, query, key, value, logSumExp, attention: UnsafeMutablePointer<Float>
    let middle, normed2, inverse2, gate, up, product: UnsafeMutablePointer<Float>
    /// `A x` of each target (`LoraTarget.rawValue`), length × rank.
    let hidden: [UnsafeMutablePointer<Float>]

    init(configuration c: LlamaConfiguration, length: Int, rank: Int) {
        let e = length * c.embedding
        let kv = length * c.kvWidth
        let f = length * c.feedForward
        let sizes = [e, e, length, e, kv, kv, c.heads * length, e, e, e, length, f, f, f]
            + Array(repeating: length * rank, count: LoraTarget.allCases.count)
        slab = FloatSlab(sizes)
        let pointers = slab.buffers
        (input, normed, inverse, query, key, value, logSumExp, attention) =
            (pointers[0], pointers[1], pointers[2], pointers[3], pointers[4], pointers[5], pointers[6], pointers[7])
        (middle, normed2, inverse2, gate, up, product) = (pointers[8], pointers[9], pointers[10], pointers[11], pointers[12], pointers[13])
        hidden = Array(pointers[14...])
        self.length = length
        self.rank = rank
    }
}
