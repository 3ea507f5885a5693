/// Finds the chunks of knowledge datasets that answer a query: `result` lists them with their scores and
/// sources, `context` joins their text, ready to put in a prompt.
public struct KnowledgeRetrievalNode: WorkflowNode {
    public static let typeName = "knowledge-retrieval"
    public static let configKeys = ["query", "datasets", "mode", "top_k", "score_threshold", "filters"]

    public let query: Template
    public let datasets: [DatasetReference]
    public let mode: RetrievalMode
    public let topK: Int
    public let scoreThreshold: Double?
    public let filters: [String: Value]

    public static func decode(_ reader: NodeReader) -> KnowledgeRetrievalNode? {
        let query = reader.template("query", required: true)
        var datasets: [DatasetReference] = []
        if let list = reader.node("datasets", required: true), let items = reader.list(list, what: "'datasets'") {
            for item in items {
                guard let text = reader.string(item, what: "a dataset") else { continue }
                guard let reference = DatasetReference(parsing: text) else {
                    reader.error("'\(text)' is not a dataset reference: write NAME or NAME@VERSION", at: item.location)
                    continue
                }
                reader.checkDataset(reference, kind: .knowledge, at: item.location)
                datasets.append(reference)
            }
            if items.isEmpty { reader.error("'datasets' is empty: name at least one dataset", at: list.location) }
        }
        var mode = RetrievalMode.hybrid
        if let text = reader.string("mode") {
            if let parsed = RetrievalMode(rawValue: text) {
                mode = parsed
            } else {
                reader.error("unknown mode '\(text)'; use \(RetrievalMode.allCases.map(\.rawValue).joined(separator: ", "))", at: reader.node("mode")?.location)
            }
        }
        var filters: [String: Value] = [:]
        if let node = reader.node("filters"), let entries = reader.mapping(node, what: "'filters'") {
            for entry in entries { filters[entry.key] = entry.value.value }
        }
        guard let query else { return nil }
        return KnowledgeRetrievalNode(
            query: query, datasets: datasets, mode: mode, topK: reader.integer("top_k", in: 1...100) ?? 4,
            scoreThreshold: reader.number("score_threshold", in: 0...1_000_000), filters: filters)
    }

    public var outputNames: [String]? { ["result", "context"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        guard let knowledge = context.services.knowledge else {
            throw NodeError.serviceUnavailable("knowledge datasets are not available in this process (run the workflow on a Loom server)")
        }
        let chunks = try await knowledge.retrieve(
            RetrievalQuery(
                query: query.render(context.pool), datasets: datasets, mode: mode, topK: topK, scoreThreshold: scoreThreshold, filters: filters))
        return NodeResult(outputs: [
            "result": .array(chunks.map(\.value)),
            "context": .string(chunks.map(\.content).joined(separator: "\n\n")),
        ])
    }
}
