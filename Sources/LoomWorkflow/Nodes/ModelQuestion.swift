/// What the classifier and the extractor share: a model, a query about a text, optional extra guidance, and one
/// question asked with a fixed system prompt.
public struct ModelQuestion: Sendable {
    public static let keys = ModelSettings.keys + ["query", "instruction"]

    public let settings: ModelSettings
    public let query: Template
    public let instruction: Template?

    /// Reads the keys; deterministic answers unless the workflow says otherwise.
    static func read(_ reader: NodeReader, maxTokens: Int) -> ModelQuestion? {
        var settings = ModelSettings.read(reader)
        settings.temperature = settings.temperature ?? 0
        settings.maxTokens = settings.maxTokens ?? maxTokens
        let query = reader.template("query", required: true)
        let instruction = reader.template("instruction")
        return query.map { ModelQuestion(settings: settings, query: $0, instruction: instruction) }
    }

    struct Answer {
        var query: String
        var completion: ChatCompletion

        /// The node's `inputs` in events and records.
        var inputs: [String: Value] { ["query": .string(query), "reply": .string(completion.text)] }
    }

    /// With `outputSchema`, the reply is constrained to JSON the schema accepts.
    func ask(_ system: String, _ context: NodeContext, outputSchema: Value? = nil) async throws -> Answer {
        let provider = try context.services.requireModels()
        var prompt = system
        if let instruction { prompt += "\n\(instruction.render(context.pool))" }
        let text = query.render(context.pool)
        var request = settings.request([ChatMessage(.system, prompt), ChatMessage(.user, text)])
        request.outputSchema = outputSchema
        let completion = try await provider.chat(request) { _ in }
        return Answer(query: text, completion: completion)
    }
}
