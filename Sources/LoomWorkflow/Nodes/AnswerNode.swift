/// Text for the user, streamed as it is produced: its output `answer` goes out as `text_chunk` events, and an
/// llm output it starts with streams token by token while the model generates.
public struct AnswerNode: WorkflowNode {
    public static let typeName = "answer"
    public static let configKeys = ["answer"]
    public static let runsInstantly = true

    public let template: Template

    public static func decode(_ reader: NodeReader) -> AnswerNode? {
        reader.template("answer", required: true).map(AnswerNode.init)
    }

    public var outputNames: [String]? { ["answer"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        let text = template.render(context.pool)
        context.answerText(text)
        return NodeResult(outputs: ["answer": .string(text)])
    }
}
