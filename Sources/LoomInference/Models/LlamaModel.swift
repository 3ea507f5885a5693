import Synchronization

/// A Llama-family decoder loaded from GGUF: weights stay in the file mapping, quantised as they are.
public final class LlamaModel: Sendable {
    struct Layer: Sendable {
        var attentionNorm: [Float]
        var query: WeightMatrix
        var key: WeightMatrix
        var value: WeightMatrix
        var attentionOutput: WeightMatrix
        var feedForwardNorm: [Float]
        var gate: WeightMatrix
        var up: WeightMatrix
        var down: WeightMatrix
    }

    public let configuration: LlamaConfiguration
    public let tokenizer: ByteLevelBPE
    public let chatTemplate: ChatTemplate
    public let beginOfSequence: Int?
    public let endOfSequence: Int
    /// Tokens that end a generation (the end-of-sequence token and, for ChatML, `<|im_end|>`).
    public let stopTokens: Set<Int>
    public let addBeginOfSequence: Bool
    let file: GGUFFile
    let embedding: WeightMatrix
    let output: WeightMatrix
    let outputNorm: [Float]
    let layers: [Layer]
    private let constraintCache = Mutex<ConstraintVocabulary?>(nil)

    /// The vocabulary arranged for constrained generation, built on first use.
    public var constraintVocabulary: ConstraintVocabulary {
        constraintCache.withLock { cached in
            if let cached { return cached }
            let built = ConstraintVocabulary(tokenizer: tokenizer, stopTokens: stopTokens)
            cached = built
            return built
        }
    }

    public init(path: String) throws(ModelFileError) {
        let file = try GGUFFile(path: path)
        let configuration = try LlamaConfiguration(file)
        self.file = file
        self.configuration = configuration
        /// `multiplied`: false for a table only looked up by row (an untied token embedding).
        func matrix(_ name: String, rows: Int, columns: Int, multiplied: Bool = true) throws(ModelFileError) -> WeightMatrix {
            let (info, pointer) = try file.data(name)
            guard info.dimensions == [columns, rows] else {
                throw ModelFileError.malformed(path, "tensor \(name) is \(info.dimensions), expected [\(columns), \(rows)]")
            }
            let matrix = WeightMatrix(pointer: pointer, type: info.type, rows: rows, columns: columns)
            return multiplied ? matrix.decodingCopy() : matrix
        }
        func vector(_ name: String, count: Int) throws(ModelFileError) -> [Float] {
            let (info, pointer) = try file.data(name)
            guard info.elementCount == count else { throw ModelFileError.malformed(path, "tensor \(name) has \(info.elementCount) values, expected \(count)") }
            return WeightMatrix(pointer: pointer, type: info.type, rows: 1, columns: count).rowValues(0)
        }
        let c = configuration
        let tied = file.tensors["output.weight"] == nil
        embedding = try matrix("token_embd.weight", rows: c.vocabulary, columns: c.embedding, multiplied: tied)
        output = tied ? embedding : try matrix("output.weight", rows: c.vocabulary, columns: c.embedding)
        outputNorm = try vector("output_norm.weight", count: c.embedding)
        var layers: [Layer] = []
        for index in 0..<c.layers {
            let p = "blk.\(index)."
            layers.append(Layer(
                attentionNorm: try vector(p + "attn_norm.weight", count: c.embedding),
                query: try matrix(p + "attn_q.weight", rows: c.embedding, columns: c.embedding),
                key: try matrix(p + "attn_k.weight", rows: c.kvWidth, columns: c.embedding),
                value: try matrix(p + "attn_v.weight", rows: c.kvWidth, columns: c.embedding),
                attentionOutput: try matrix(p + "attn_output.weight", rows: c.embedding, columns: c.embedding),
                feedForwardNorm: try vector(p + "ffn_norm.weight", count: c.embedding),
                gate: try matrix(p + "ffn_gate.weight", rows: c.feedForward, columns: c.embedding),
                up: try matrix(p + "ffn_up.weight", rows: c.feedForward, columns: c.embedding),
                down: try matrix(p + "ffn_down.weight", rows: c.embedding, columns: c.feedForward)))
        }
        self.layers = layers

        guard file.metadata["tokenizer.ggml.model"]?.string == "gpt2",
            let tokens = file.metadata["tokenizer.ggml.tokens"]?.array?.compactMap(\.string), tokens.count == c.vocabulary
        else {
            throw ModelFileError.unsupported(path, "a tokenizer other than GPT-2 byte-level BPE with \(c.vocabulary) tokens")
        }
        let merges = file.metadata["tokenizer.ggml.merges"]?.array?.compactMap(\.string) ?? []
        let types = file.metadata["tokenizer.ggml.token_type"]?.array?.compactMap(\.int) ?? []
        // Types 3 (control) and 4 (user-defined) are matched whole before BPE.
        let specials = types.enumerated().filter { $0.element == 3 || $0.element == 4 }.map(\.offset)
        let pre = file.metadata["tokenizer.ggml.pre"]?.string ?? "gpt2"
        tokenizer = ByteLevelBPE(tokens: tokens, merges: merges, specialIds: specials, preTokenizer: pre == "smollm" ? .smollm : .gpt2)
        beginOfSequence = file.metadata["tokenizer.ggml.bos_token_id"]?.int
        endOfSequence = try file.int("tokenizer.ggml.eos_token_id")
        addBeginOfSequence = file.metadata["tokenizer.ggml.add_bos_token"].map { $0 == .bool(true) } ?? false
        let template = file.metadata["tokenizer.chat_template"]?.string.flatMap(ChatTemplate.init(jinja:))
        chatTemplate = template ?? ChatTemplate()
        var stops: Set<Int> = [endOfSequence]
        if let end = tokenizer.id(of: "<|im_end|>") { stops.insert(end) }
        stopTokens = stops
    }

    /// Weight bytes one decode step reads: every tensor once (a separate token-embedding table only a row, which
    /// is left out). Divided into memory bandwidth, it bounds single-stream decode speed.
    public var bytesReadPerToken: Int {
        let tied = file.tensors["output.weight"] == nil
        return file.tensors.values.filter { tied || $0.name != "token_embd.weight" }.reduce(0) { $0 + $1.type.bytes(for: $1.elementCount) }
    }

    /// Weights in the file (a tied embedding counted once).
    public var parameterCount: Int { file.tensors.values.reduce(0) { $0 + $1.elementCount } }

    /// Token ids for a prompt, with the beginning-of-sequence token when the model wants one.
    public func encode(_ prompt: String) -> [Int] {
        let ids = tokenizer.encode(prompt)
        if addBeginOfSequence, let beginOfSequence { return [beginOfSequence] + ids }
        return ids
    }
}
