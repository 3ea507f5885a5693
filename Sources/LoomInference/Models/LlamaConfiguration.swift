/// The shape of a Llama-family decoder, read from GGUF metadata.
public struct LlamaConfiguration: Sendable, Equatable {
    public var layers: Int
    public var embedding: Int
    public var feedForward: Int
    public var heads: Int
    public var kvHeads: Int
    public var vocabulary: Int
    public var context: Int
    public var ropeBase: Float
    public var epsilon: Float

    public var headDimension: Int { embedding / heads }
    public var kvWidth: Int { kvHeads * headDimension }

    public init(
        layers: Int, embedding: Int, feedForward: Int, heads: Int, kvHeads: Int, vocabulary: Int, context: Int, ropeBase: Float, epsilon: Float
    ) {
        self.layers = layers
        self.embedding = embedding
        self.feedForward = feedForward
        self.heads = heads
        self.kvHeads = kvHeads
        self.vocabulary = vocabulary
        self.context = context
        self.ropeBase = ropeBase
        self.epsilon = epsilon
    }

    init(_ file: GGUFFile) throws(ModelFileError) {
        let architecture = file.metadata["general.architecture"]?.string ?? "?"
        guard architecture == "llama" else { throw ModelFileError.unsupported(file.file.path, "architecture '\(architecture)'") }
        let heads = try file.int("llama.attention.head_count")
        self.init(
            layers: try file.int("llama.block_count"), embedding: try file.int("llama.embedding_length"),
            feedForward: try file.int("llama.feed_forward_length"), heads: heads,
            kvHeads: file.metadata["llama.attention.head_count_kv"]?.int ?? heads,
            vocabulary: file.metadata["llama.vocab_size"]?.int ?? file.metadata["tokenizer.ggml.tokens"]?.array?.count ?? 0,
            context: file.metadata["llama.context_length"]?.int ?? 2048,
            ropeBase: Float(file.metadata["llama.rope.freq_base"]?.double ?? 10_000),
            epsilon: Float(try file.double("llama.attention.layer_norm_rms_epsilon")))
        guard embedding % heads == 0, heads % kvHeads == 0 else {
            throw ModelFileError.malformed(file.file.path, "\(heads) heads do not divide \(embedding) or are not a multiple of \(kvHeads)")
        }
    }
}
