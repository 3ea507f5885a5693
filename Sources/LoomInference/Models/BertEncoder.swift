import COpenBLAS
import Foundation

/// A BERT encoder for sentence embeddings (all-MiniLM-L6-v2): token, position and segment embeddings, post-norm
/// layers with GELU, mean pooling over real tokens, L2 normalisation. A batch of texts runs as one padded matrix
/// through sgemm, with a mask keeping padding out of attention and pooling.
public final class BertEncoder: @unchecked Sendable {
    // Weights are immutable after loading; `embed` allocates its own working memory per call.
    struct Layer {
        /// The query, key and value matrices one after another (3·hidden rows), so one sgemm makes all three.
        var queryKeyValue: [Float], queryKeyValueBias: [Float]
        var output: [Float], outputBias: [Float]
        var attentionNorm: (weight: [Float], bias: [Float])
        var intermediate: [Float], intermediateBias: [Float]
        var down: [Float], downBias: [Float]
        var outputNorm: (weight: [Float], bias: [Float])
    }

    public let tokenizer: WordPieceTokenizer
    public let hidden: Int
    public let heads: Int
    public let intermediateSize: Int
    public let maxTokens: Int
    let wordEmbeddings: WeightMatrix
    let positionEmbeddings: [Float]
    let segmentEmbedding: [Float]
    let embeddingNorm: (weight: [Float], bias: [Float])
    let layers: [Layer]
    let epsilon: Float = 1e-12
    let file: SafetensorsFile
    public let pool: ComputePool

    /// Loads `model.safetensors`, `vocab.txt` and `config.json` from `directory`.
    public init(directory: String, pool: ComputePool, maxTokens: Int = 256) throws(ModelFileError) {
        let file = try SafetensorsFile(path: directory + "/model.safetensors")
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory + "/vocab.txt")
        var hidden = 384, heads = 12, intermediate = 1536, layerCount = 6
        if let data = FileManager.default.contents(atPath: directory + "/config.json"),
            let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            hidden = config["hidden_size"] as? Int ?? hidden
            heads = config["num_attention_heads"] as? Int ?? heads
            intermediate = config["intermediate_size"] as? Int ?? intermediate
            layerCount = config["num_hidden_layers"] as? Int ?? layerCount
        }
        self.file = file
        self.pool = pool
        self.hidden = hidden
        self.heads = heads
        self.intermediateSize = intermediate
        wordEmbeddings = try file.matrix("embeddings.word_embeddings.weight")
        positionEmbeddings = try file.vector("embeddings.position_embeddings.weight")
        self.maxTokens = min(maxTokens, positionEmbeddings.count / hidden)
        segmentEmbedding = Array(try file.vector("embeddings.token_type_embeddings.weight").prefix(hidden))
        embeddingNorm = (try file.vector("embeddings.LayerNorm.weight"), try file.vector("embeddings.LayerNorm.bias"))
        var layers: [Layer] = []
        for index in 0..<layerCount {
            let p = "encoder.layer.\(index)."
            let v = { (name: String) throws(ModelFileError) -> [Float] in try file.vector(p + name) }
            var (queryKeyValue, queryKeyValueBias) = ([Float](), [Float]())
            for projection in ["query", "key", "value"] {
                queryKeyValue += try v("attention.self.\(projection).weight")
                queryKeyValueBias += try v("attention.self.\(projection).bias")
            }
            layers.append(Layer(
                queryKeyValue: queryKeyValue, queryKeyValueBias: queryKeyValueBias,
                output: try v("attention.output.dense.weight"), outputBias: try v("attention.output.dense.bias"),
                attentionNorm: (try v("attention.output.LayerNorm.weight"), try v("attention.output.LayerNorm.bias")),
                intermediate: try v("intermediate.dense.weight"), intermediateBias: try v("intermediate.dense.bias"),
                down: try v("output.dense.weight"), downBias: try v("output.dense.bias"),
                outputNorm: (try v("output.LayerNorm.weight"), try v("output.LayerNorm.bias"))))
        }
        self.layers = layers
    }

    /// Unit-length embeddings, one per text, and the token count of each.
    public func embed(_ texts: [String]) -> (vectors: [[Float]], tokens: [Int]) {
        let ids = texts.map { tokenizer.encode($0, maxLength: maxTokens) }
        return (embed(tokenIds: ids), ids.map(\.count))
    }

    /// Embeddings of already tokenised texts (each with its [CLS] and [SEP]).
    public func embed(tokenIds: [[Int]]) -> [[Float]] {
        guard !tokenIds.isEmpty else { return [] }
        let length = tokenIds.map(\.count).max()!
        let batch = tokenIds.count
        let rows = batch * length
        let h = hidden
        var x = [Float](repeating: 0, count: rows * h)
        for (b, ids) in tokenIds.enumerated() {
            for (t, id) in ids.enumerated() {
                let row = (b * length + t) * h
                let word = wordEmbeddings.rowValues(id)
                for d in 0..<h { x[row + d] = word[d] + positionEmbeddings[t * h + d] + segmentEmbedding[d] }
            }
        }
        layerNorm(&x, adding: nil, embeddingNorm, rows: rows)
        var queryKeyValue = [Float](repeating: 0, count: rows * 3 * h)
        var context = [Float](repeating: 0, count: rows * h), projected = context
        var intermediate = [Float](repeating: 0, count: rows * intermediateSize)
        for layer in layers {
            dense(x, layer.queryKeyValue, layer.queryKeyValueBias, rows: rows, inputs: h, outputs: 3 * h, into: &queryKeyValue)
            attention(queryKeyValue, lengths: tokenIds.map(\.count), length: length, into: &context)
            dense(context, layer.output, layer.outputBias, rows: rows, inputs: h, outputs: h, into: &projected)
            layerNorm(&x, adding: projected, layer.attentionNorm, rows: rows)
            dense(x, layer.intermediate, layer.intermediateBias, rows: rows, inputs: h, outputs: intermediateSize, into: &intermediate)
            let width = intermediateSize
            intermediate.withUnsafeMutableBufferPointer { buffer in
                let values = buffer.baseAddress!
                pool.parallelFor(rows) { range in
                    RowKernels.gelu(values + range.lowerBound * width, count: range.count * width)
                }
            }
            dense(intermediate, layer.down, layer.downBias, rows: rows, inputs: intermediateSize, outputs: h, into: &projected)
            layerNorm(&x, adding: projected, layer.outputNorm, rows: rows)
        }
        return tokenIds.enumerated().map { b, ids in
            var pooled = [Float](repeating: 0, count: h)
            for t in 0..<ids.count {
                for d in 0..<h { pooled[d] += x[(b * length + t) * h + d] }
            }
            let norm = pooled.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return pooled.map { $0 / max(norm, 1e-12) }
        }
    }

    /// `output = input · Wᵀ + bias` for `rows` rows, split over the compute pool (each thread sets its own rows'
    /// bias: on one thread that copy was 3% of an embedding batch on two).
    private func dense(_ input: [Float], _ weight: [Float], _ bias: [Float], rows: Int, inputs: Int, outputs: Int, into output: inout [Float]) {
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { y in
                    let (x, w, y) = (x.baseAddress!, w.baseAddress!, y.baseAddress!)
                    pool.parallelFor(rows) { range in
                        for row in range { (y + row * outputs).update(from: bias, count: outputs) }
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(range.count), Int32(outputs), Int32(inputs), 1,
                            x + range.lowerBound * inputs, Int32(inputs), w, Int32(inputs), 1, y + range.lowerBound * outputs, Int32(outputs))
                    }
                }
            }
        }
    }

    /// `x = layerNorm(x + residual)`, rows split over the compute pool.
    private func layerNorm(_ x: inout [Float], adding residual: [Float]?, _ parameters: (weight: [Float], bias: [Float]), rows: Int) {
        let (width, epsilon) = (hidden, epsilon)
        x.withUnsafeMutableBufferPointer { x in
            let x = x.baseAddress!
            parameters.weight.withUnsafeBufferPointer { weight in
                parameters.bias.withUnsafeBufferPointer { bias in
                    let (weight, bias) = (weight.baseAddress!, bias.baseAddress!)
                    let norm = { (residual: UnsafePointer<Float>?) in
                        self.pool.parallelFor(rows) { range in
                            RowKernels.addLayerNorm(x, adding: residual, weight: weight, bias: bias, epsilon: epsilon, width: width, rows: range)
                        }
                    }
                    if let residual {
                        residual.withUnsafeBufferPointer { norm($0.baseAddress!) }
                    } else {
                        norm(nil)
                    }
                }
            }
        }
    }

    /// Self-attention within each text; padding positions are neither attended to nor attending. A row of
    /// `queryKeyValue` holds a token's query, key and value side by side.
    private func attention(_ queryKeyValue: [Float], lengths: [Int], length: Int, into context: inout [Float]) {
        let h = hidden
        let dimension = h / heads
        let scale = 1 / Float(dimension).squareRoot()
        queryKeyValue.withUnsafeBufferPointer { qkv in
            context.withUnsafeMutableBufferPointer { out in
                let (q, out) = (qkv.baseAddress!, out.baseAddress!)
                let (k, v, stride) = (q + h, q + 2 * h, 3 * h)
                let jobs = lengths.count * heads
                // Per text and head, two sgemm calls: scores = scale·Q·Kᵀ over the text's real tokens, then softmax
                // by row, then context = scores·V. Rows of Q, K, V sit `stride` apart, rows of the context `h`.
                pool.parallelFor(jobs) { range in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: length * length)
                    defer { scores.deallocate() }
                    for job in range {
                        let b = job / heads
                        let head = job % heads
                        let n = lengths[b]
                        let input = (b * length) * stride + head * dimension
                        let output = (b * length) * h + head * dimension
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(dimension), scale, q + input, Int32(stride),
                            k + input, Int32(stride), 0, scores, Int32(n))
                        for i in 0..<n { RowKernels.softmax(scores + i &* n, count: n) }
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(dimension), Int32(n), 1, scores, Int32(n),
                            v + input, Int32(stride), 0, out + output, Int32(h))
                    }
                }
            }
        }
    }
}
