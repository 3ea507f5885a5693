/// Writes a training record built from the run (say, the user's ticket and the llm node's reply) into a samples
/// dataset for review. Outputs the sample's `id` and whether it was a `duplicate`; a duplicate never fails the run.
public struct DatasetAnnotationNode: WorkflowNode {
    public static let typeName = "dataset-annotation"
    public static let configKeys = ["dataset", "record", "status", "label"]

    public enum RecordTemplate: Sendable {
        case chat([(role: ChatMessage.Role, template: Template)])
        case completion(prompt: Template, completion: Template)
    }

    public let dataset: String
    public let record: RecordTemplate
    public let status: SampleStatus
    public let label: Template?

    public static func decode(_ reader: NodeReader) -> DatasetAnnotationNode? {
        var dataset: String?
        if let node = reader.node("dataset", required: true), let name = reader.string(node, what: "'dataset'") {
            if name.contains("@") {
                reader.error("'dataset' names the dataset to write to, without a version", at: node.location)
            } else {
                reader.checkDataset(DatasetReference(name: name), kind: .samples, at: node.location)
                dataset = name
            }
        }
        let record = reader.node("record", required: true).flatMap { readRecord($0, reader) }
        var status = SampleStatus.pending
        if let node = reader.node("status"), let text = reader.string(node, what: "'status'") {
            if let parsed = SampleStatus(rawValue: text), parsed != .rejected {
                status = parsed
            } else {
                reader.error("'status' is pending or approved, not '\(text)'", at: node.location)
            }
        }
        let label = reader.template("label")
        guard let dataset, let record, reader.isValid else { return nil }
        return DatasetAnnotationNode(dataset: dataset, record: record, status: status, label: label)
    }

    /// `{messages: [{user: …}, {assistant: …}]}` or `{prompt: …, completion: …}`, their text templates.
    private static func readRecord(_ node: SourceNode, _ reader: NodeReader) -> RecordTemplate? {
        guard let fields = reader.mapping(node, what: "'record'", allowed: ["messages", "prompt", "completion"]) else { return nil }
        if let messages = fields["messages"] {
            guard fields.count == 1 else {
                reader.error("'record' has either 'messages' or 'prompt' and 'completion', not both", at: node.location)
                return nil
            }
            guard let items = reader.list(messages, what: "'record.messages'") else { return nil }
            let turns = items.compactMap { reader.chatMessage($0) }
            guard turns.count == items.count else { return nil }
            guard turns.last?.role == .assistant, turns.contains(where: { $0.role == .user }) else {
                reader.error("'record.messages' needs a user message and must end with an assistant message", at: messages.location)
                return nil
            }
            return .chat(turns)
        }
        guard let promptNode = fields["prompt"], let completionNode = fields["completion"] else {
            reader.error("'record' needs 'messages', or both 'prompt' and 'completion'", at: node.location)
            return nil
        }
        guard let prompt = reader.template(promptNode, what: "'record.prompt'"),
            let completion = reader.template(completionNode, what: "'record.completion'")
        else { return nil }
        return .completion(prompt: prompt, completion: completion)
    }

    public var outputNames: [String]? { ["id", "duplicate"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        guard let sink = context.services.samples else {
            throw NodeError.serviceUnavailable("samples datasets are not available in this process (run the workflow on a Loom server)")
        }
        let rendered: Value
        switch record {
        case .chat(let turns):
            rendered = ["messages": .array(turns.map { ["role": .string($0.role.rawValue), "content": .string($0.template.render(context.pool))] })]
        case .completion(let prompt, let completion):
            rendered = ["prompt": .string(prompt.render(context.pool)), "completion": .string(completion.render(context.pool))]
        }
        let parsed: TrainingRecord
        do {
            parsed = try TrainingRecord(parsing: rendered)
        } catch {
            throw NodeError.invalidValue("the record to write is not a valid training record: \(error)")
        }
        var source: [String: Value] = ["run": .string(context.run.runId), "node": .string(context.nodeId)]
        if let app = context.run.appId { source["app"] = .string(app) }
        let label = label.map { $0.render(context.pool) }.flatMap { $0.isEmpty ? nil : $0 }
        let written = try await sink.write(AnnotationSample(dataset: dataset, record: parsed, status: status, label: label, source: source))
        return NodeResult(
            outputs: ["id": .int(Int(written.id)), "duplicate": .bool(written.duplicate)],
            inputs: ["dataset": .string(dataset), "record": rendered, "status": .string(status.rawValue)])
    }
}
