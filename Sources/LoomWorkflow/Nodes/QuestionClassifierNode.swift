import Foundation

/// Asks a model which of its classes a text belongs to and routes by the class id.
public struct QuestionClassifierNode: WorkflowNode {
    public static let typeName = "question-classifier"
    public static let configKeys = ModelQuestion.keys + ["classes", "routes"]

    public struct Class: Sendable {
        public var id: String
        public var name: String
    }

    public let question: ModelQuestion
    public let classes: [Class]

    public static func decode(_ reader: NodeReader) -> QuestionClassifierNode? {
        let question = ModelQuestion.read(reader, maxTokens: 16)
        guard let classesNode = reader.node("classes", required: true), let items = reader.list(classesNode, what: "'classes'") else { return nil }
        var classes: [Class] = []
        for item in items {
            guard let fields = reader.mapping(item, what: "a class", allowed: ["id", "name"]) else { continue }
            guard let id = fields["id"].flatMap({ reader.string($0, what: "class id") }),
                let name = fields["name"].flatMap({ reader.string($0, what: "class name") })
            else {
                reader.error("a class needs 'id' and 'name'", at: item.location)
                continue
            }
            guard VariablePath(parsing: id) != nil, !id.contains("."), id != EdgeHandle.failBranch else {
                reader.error("'\(id)' cannot be a class id (use letters, digits, '_' and '-')", at: fields["id"]!.location)
                continue
            }
            if classes.contains(where: { $0.id == id }) { reader.error("duplicate class id '\(id)'", at: fields["id"]!.location) }
            classes.append(Class(id: id, name: name))
        }
        if classes.count < 2 { reader.error("a question-classifier needs at least two classes", at: classesNode.location) }
        if let routes = reader.node("routes"), let entries = reader.mapping(routes, what: "'routes'") {
            for entry in entries {
                guard classes.contains(where: { $0.id == entry.key }) else {
                    reader.error("route for unknown class '\(entry.key)'; classes: \(classes.map(\.id).joined(separator: ", "))", at: entry.keyLocation)
                    continue
                }
                reader.edges(to: entry.value, handle: entry.key)
            }
        }
        guard let question else { return nil }
        return QuestionClassifierNode(question: question, classes: classes)
    }

    public var outputNames: [String]? { ["class_id", "class_name", "usage"] }
    public var handles: [String] { classes.map(\.id) }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        let answer = try await question.ask(
            """
            Classify the user's text into exactly one of these categories. Reply with the category id only.
            Categories:
            \(classes.map { "- \($0.id): \($0.name)" }.joined(separator: "\n"))
            """, context)
        let chosen = pick(answer.completion.text)
        return NodeResult(
            outputs: ["class_id": .string(chosen.id), "class_name": .string(chosen.name), "usage": answer.completion.usage.value],
            handle: chosen.id, inputs: answer.inputs, usage: answer.completion.usage)
    }

    /// The class the reply names: an exact id first, then the earliest id or name mentioned; the first class
    /// when the reply names none (as Dify does).
    func pick(_ reply: String) -> Class {
        let cleaned = reply.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)).lowercased()
        if let exact = classes.first(where: { $0.id.lowercased() == cleaned || $0.name.lowercased() == cleaned }) { return exact }
        let lower = reply.lowercased()
        let mentions = classes.compactMap { candidate -> (String.Index, Class)? in
            let positions = [candidate.id, candidate.name].compactMap { lower.range(of: $0.lowercased())?.lowerBound }
            return positions.min().map { ($0, candidate) }
        }
        return mentions.min { $0.0 < $1.0 }?.1 ?? classes[0]
    }

    public func handle(forDefault outputs: [String: Value]) -> String {
        let id = outputs["class_id"]?.text
        return classes.first { $0.id == id }?.id ?? classes[0].id
    }
}
