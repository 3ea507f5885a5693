/// Turns texts into vectors with a named embedding model: the worker pool's `/v1/embeddings`, or any
/// OpenAI-compatible endpoint `models.yaml` names.
public protocol TextEmbedder: Sendable {
    /// One vector per text, in the texts' order.
    func embed(_ texts: [String], model: String) async throws -> [[Float]]
}
