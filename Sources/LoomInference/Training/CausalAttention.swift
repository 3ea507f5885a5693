import COpenBLAS
import Foundation

/// Causal grouped-query attention over a whole sequence, for training. The forward pass keeps only each row's
/// log-sum-exp; the backward pass recomputes the probabilities a chunk of query rows at a time, so memory grows
/// with the sequence's length, not its square. Work is split into (head, chunk) jobs over the compute pool, each
/// thread summing its key and value gradients apart, added in a fixed order afterwards.
final class CausalAttention {
    let configuration: LlamaConfiguration
    let pool: ComputePool
    static let chunkRows = 64
    private var length = 0
    private var probabilities: [UnsafeMutablePointer<Float>]
    private var gradients: [UnsafeMutablePointer<Float>]
    private var keyPartials: [UnsafeMutablePointer<Float>]
    private var valuePartials: [UnsafeMutablePointer<Float>]

    init(configuration: LlamaConfiguration, pool: ComputePool) {
        self.configuration = configuration
        self.pool = pool
        let none = { (0..<pool.threads).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: 1) } }
        (probabilities, gradients, keyPartials, valuePartials) = (none(), none(), none(), none())
    }

    deinit {
        for buffer in probabilities + gradients + keyPartials + valuePartials { buffer.deallocate() }
    }

    private func reserve(_ length: Int) {
        guard length > self.length else { return }
        for buffer in probabilities + gradients + keyPartials + valuePartials { buffer.deallocate() }
        let square = Self.chunkRows * length
        let kv = length * configuration.kvWidth
        probabilities = (0..<pool.threads).map { _ in .allocate(capacity: square) }
        gradients = (0..<pool.threads).map { _ in .allocate(capacity: square) }
        keyPartials = (0..<pool.threads).map { _ in .allocate(capacity: kv) }
        valuePartials = (0..<pool.threads).map { _ in .allocate(capacity: kv) }
        self.length = length
    }

    /// One unit of work: query rows `first..<first+rows` of one head, attending to keys `0..<keys` of its KV head.
    struct Job {
        let head: Int
        let kvHead: Int
        let first: Int
        let rows: Int
        var keys: Int { first + rows }
    }

    /// Runs `body(part, job)` for every (head, chunk) job of a `count`-row sequence, dealt round-robin to the pool's
    /// threads (a fixed deal, so sums do not depend on timing); `prepare(part)` runs on each thread first.
    private func forEachJob(count: Int, prepare: (Int) -> Void = { _ in }, _ body: (Int, Job) -> Void) {
        let c = configuration
        let chunks = (count + Self.chunkRows - 1) / Self.chunkRows
        let jobs = c.heads * chunks
        let threads = pool.threads
        pool.run { part in
            prepare(part)
            var index = part
            while index < jobs {
                let (head, chunk) = (index / chunks, index % chunks)
                let first = chunk * Self.chunkRows
                body(part, Job(head: head, kvHead: head / (c.heads / c.kvHeads), first: first, rows: min(Self.chunkRows, count - first)))
                index += threads
            }
        }
    }

    /// Softmax(QKᵀ/√d) probabilities of rows `first..<first+rows` over keys `0..<first+rows`, causally masked,
    /// into `p` (`rows × (first+rows)`). With `logSumExp` to write, it is computed here; otherwise read from it.
    private func probabilities(
        _ job: Job, count: Int, query: UnsafePointer<Float>, key: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>,
        logSumExp: UnsafeMutablePointer<Float>, computing: Bool
    ) {
        let c = configuration
        let d = c.headDimension
        let (head, first, rows, keys, g) = (job.head, job.first, job.rows, job.keys, job.kvHead)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(keys), Int32(d), 1 / Float(d).squareRoot(),
            query + first * c.embedding + head * d, Int32(c.embedding), key + g * d, Int32(c.kvWidth), 0, p, Int32(keys))
        for i in 0..<rows {
            let row = p + i &* keys
            let visible = first &+ i &+ 1
            let lse: Float
            if computing {
                var maximum = -Float.infinity
                for j in 0..<visible { maximum = max(maximum, row[j]) }
                var total: Float = 0
                for j in 0..<visible { total += expf(row[j] - maximum) }
                lse = maximum + logf(total)
                logSumExp[head &* count &+ first &+ i] = lse
            } else {
                lse = logSumExp[head &* count &+ first &+ i]
            }
            for j in 0..<visible { row[j] = expf(row[j] - lse) }
            for j in visible..<keys { row[j] = 0 }
        }
    }

    /// `output` (count × embedding) = attention of every position; `logSumExp` (heads × count) is kept.
    func forward(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, count: Int,
        into output: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>
    ) {
        reserve(count)
        let c = configuration
        let d = c.headDimension
        forEachJob(count: count) { part, job in
            let (head, first, rows, keys) = (job.head, job.first, job.rows, job.keys)
            let p = probabilities[part]
            self.probabilities(job, count: count, query: query, key: key, into: p, logSumExp: logSumExp, computing: true)
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(keys), 1, p, Int32(keys), value + job.kvHead * d,
                Int32(c.kvWidth), 0, output + first * c.embedding + head * d, Int32(c.embedding))
        }
    }

    /// Gradients of the query, key and value (all overwritten) from the gradient of the output.
    func backward(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, output: UnsafePointer<Float>,
        logSumExp: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>, count: Int,
        queryGradient: UnsafeMutablePointer<Float>, keyGradient: UnsafeMutablePointer<Float>, valueGradient: UnsafeMutablePointer<Float>
    ) {
        reserve(count)
        let c = configuration
        let d = c.headDimension
        let scale = 1 / Float(d).squareRoot()
        let kvSize = count * c.kvWidth
        let (keyPartials, valuePartials) = (self.keyPartials, self.valuePartials)
        // Thread 0 sums straight into the outputs, the others apart (added below).
        func sums(_ part: Int) -> (keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>) {
            part == 0 ? (keyGradient, valueGradient) : (keyPartials[part], valuePartials[part])
        }
        forEachJob(count: count, prepare: { part in
            sums(part).keys.initialize(repeating: 0, count: kvSize)
            sums(part).values.initialize(repeating: 0, count: kvSize)
        }) { part, job in
            let (head, first, rows, keys, g) = (job.head, job.first, job.rows, job.keys, job.kvHead)
            let (dk, dv) = sums(part)
            let (p, ds) = (probabilities[part], gradients[part])
            self.probabilities(job, count: count, query: query, key: key, into: p, logSumExp: logSumExp, computing: false)
            let dOut = outputGradient + first * c.embedding + head * d
            // dP = dO · Vᵀ, then dS = P ∘ (dP − rowsum(dO ∘ O)).
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(keys), Int32(d), 1, dOut, Int32(c.embedding), value + g * d,
                Int32(c.kvWidth), 0, ds, Int32(keys))
            for i in 0..<rows {
                let correction = VectorKernels.dot(dOut + i &* c.embedding, output + ((first &+ i) &* c.embedding &+ head &* d), count: d)
                let (pr, dr) = (p + i &* keys, ds + i &* keys)
                for j in 0..<keys { dr[j] = pr[j] * (dr[j] - correction) }
            }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(keys), scale, ds, Int32(keys), key + g * d,
                Int32(c.kvWidth), 0, queryGradient + first * c.embedding + head * d, Int32(c.embedding))
            cblas_sgemm(
                CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keys), Int32(d), Int32(rows), scale, ds, Int32(keys),
                query + first * c.embedding + head * d, Int32(c.embedding), 1, dk + g * d, Int32(c.kvWidth))
            cblas_sgemm(
                CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keys), Int32(d), Int32(rows), 1, p, Int32(keys), dOut, Int32(c.embedding), 1,
                dv + g * d, Int32(c.kvWidth))
        }
        guard pool.threads > 1 else { return }
        pool.parallelFor(kvSize) { range in
            for part in 1..<keyPartials.count {
                for index in range {
                    keyGradient[index] += keyPartials[part][index]
                    valueGradient[index] += valuePartials[part][index]
                }
            }
        }
    }
}
