/// Tries its cases in order; the first whose condition holds is taken, otherwise `else`.
public struct IfElseNode: WorkflowNode {
    public static let typeName = "if-else"
    public static let configKeys = ["cases", "else"]
    public static let runsInstantly = true

    public struct Case: Sendable {
        public var id: String
        public var condition: Condition
    }

    public let cases: [Case]

    public static func decode(_ reader: NodeReader) -> IfElseNode? {
        guard let node = reader.node("cases", required: true), let items = reader.list(node, what: "'cases'") else { return nil }
        guard !items.isEmpty else {
            reader.error("'cases' needs at least one case", at: node.location)
            return nil
        }
        var cases: [Case] = []
        for (position, item) in items.enumerated() {
            guard let fields = reader.mapping(item, what: "case \(position + 1)", allowed: ["id", "when", "then"]) else { continue }
            let id = fields["id"].flatMap { reader.string($0, what: "case id") } ?? "case_\(position + 1)"
            guard VariablePath(parsing: id) != nil, !id.contains("."), ![EdgeHandle.elseBranch, EdgeHandle.source, EdgeHandle.failBranch, "false"].contains(id) else {
                reader.error("'\(id)' cannot be a case id (use letters, digits, '_' and '-'; else, source and fail-branch are reserved)", at: fields["id"]?.location ?? item.location)
                continue
            }
            if cases.contains(where: { $0.id == id }) {
                reader.error("duplicate case id '\(id)'", at: fields["id"]?.location ?? item.location)
                continue
            }
            guard let when = fields["when"] else {
                reader.error("case '\(id)' needs 'when'", at: item.location)
                continue
            }
            guard let condition = ConditionReader.read(when, reader) else { continue }
            if let then = fields["then"] { reader.edges(to: then, handle: id) }
            cases.append(Case(id: id, condition: condition))
        }
        if let elseNode = reader.node("else") { reader.edges(to: elseNode, handle: EdgeHandle.elseBranch) }
        return IfElseNode(cases: cases)
    }

    public var outputNames: [String]? { ["selected_case"] }
    public var handles: [String] { cases.map(\.id) + [EdgeHandle.elseBranch] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        for candidate in cases where try candidate.condition.evaluate(context.pool) {
            return NodeResult(outputs: ["selected_case": .string(candidate.id)], handle: candidate.id)
        }
        return NodeResult(outputs: ["selected_case": .string(EdgeHandle.elseBranch)], handle: EdgeHandle.elseBranch)
    }

    public func handle(forDefault outputs: [String: Value]) -> String {
        let selected = outputs["selected_case"]?.text ?? EdgeHandle.elseBranch
        return handles.contains(selected) ? selected : EdgeHandle.elseBranch
    }
}
