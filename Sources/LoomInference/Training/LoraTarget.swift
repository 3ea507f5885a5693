/// A projection of a Llama block that a LoRA adapter can adapt: the attention and MLP matrices.
public enum LoraTarget: Int, CaseIterable, Sendable, Codable {
    case query, key, value, output, gate, up, down

    /// The module's name in Hugging Face's Llama, which PEFT adapter files use.
    public var peftName: String {
        switch self {
        case .query: return "self_attn.q_proj"
        case .key: return "self_attn.k_proj"
        case .value: return "self_attn.v_proj"
        case .output: return "self_attn.o_proj"
        case .gate: return "mlp.gate_proj"
        case .up: return "mlp.up_proj"
        case .down: return "mlp.down_proj"
        }
    }

    /// (rows, columns) of the base matrix this target adapts.
    func shape(_ c: LlamaConfiguration) -> (rows: Int, columns: Int) {
        switch self {
        case .query, .output: return (c.embedding, c.embedding)
        case .key, .value: return (c.kvWidth, c.embedding)
        case .gate, .up: return (c.feedForward, c.embedding)
        case .down: return (c.embedding, c.feedForward)
        }
    }
}
