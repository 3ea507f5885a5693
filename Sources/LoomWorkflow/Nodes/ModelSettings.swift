/// The model and sampling settings shared by nodes that call a model.
public struct ModelSettings: Sendable {
    public static let keys = ["model", "max_tokens", "temperature", "top_p", "stop", "seed", "repetition_penalty"]

    public var model: String
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]
    public var seed: Int?
    /// Sent as `repetition_penalty` (Loom's worker, vLLM); hosted APIs that do not take it refuse the request.
    public var repetitionPenalty: Double?

    static func read(_ reader: NodeReader) -> ModelSettings {
        let model = reader.string("model") ?? "default"
        // A fine-tuned model (`BASE:ft-SUFFIX`) is served wherever its base is.
        if let known = reader.modelNames, !known.contains(model), !(FineTunedModelName.base(of: model).map(known.contains) ?? false) {
            reader.error("unknown model '\(model)'; the models file configures: \(known.sorted().joined(separator: ", "))", at: reader.node("model")?.location)
        }
        var stop: [String] = []
        if let node = reader.node("stop") {
            switch node.kind {
            case .scalar(.string(let text)): stop = [text]
            case .sequence(let items): stop = items.compactMap { reader.string($0, what: "a stop sequence") }
            default: reader.error("'stop' must be text or a list of texts", at: node.location)
            }
        }
        return ModelSettings(
            model: model, maxTokens: reader.integer("max_tokens", in: 1...1_000_000), temperature: reader.number("temperature", in: 0...2),
            topP: reader.number("top_p", in: 0...1), stop: stop, seed: reader.integer("seed", in: Int.min...Int.max),
            repetitionPenalty: reader.number("repetition_penalty", in: 0.01...10))
    }

    func request(_ messages: [ChatMessage]) -> ChatRequest {
        var request = ChatRequest(model: model, messages: messages, maxTokens: maxTokens, temperature: temperature, topP: topP, stop: stop, seed: seed)
        request.repetitionPenalty = repetitionPenalty
        return request
    }
}

extension [ChatMessage] {
    /// How a node's prompt appears in its `inputs` in events and run records.
    var value: Value {
        .array(map { ["role": .string($0.role.rawValue), "content": .string($0.content)] })
    }
}
