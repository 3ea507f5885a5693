/// Runs its inner graph round after round, at most `max_rounds` times, with loop variables that assigner nodes
/// inside may change. Before the first round and after each, `break_when` is checked (over the loop's variables
/// and its inner nodes' outputs); a `break` node inside ends the loop after its round. Outputs the variables as
/// the last round left them and `loop_round`, the number of rounds run.
public struct LoopNode: WorkflowNode {
    public static let typeName = "loop"
    public static let configKeys = ["variables", "max_rounds", "break_when", "nodes"]
    /// Dify's ceiling on loop rounds.
    public static let roundLimit = 100

    public struct Variable: Sendable {
        public var name: String
        public var type: ValueType
        public var initial: ValueTemplate
    }

    public let variables: [Variable]
    public let maxRounds: Int
    public let breakWhen: Condition?
    public let inner: InnerGraph
    /// The `break` nodes of the inner graph.
    let breakNodes: [String]

    public static func decode(_ reader: NodeReader) -> LoopNode? {
        let variables = readVariables(reader)
        let maxRounds = reader.integer("max_rounds", in: 1...roundLimit) ?? 10
        let names = variables.map(\.name)
        guard var inner = reader.innerGraph("nodes", innerOutputs: ["index"] + names) else { return nil }
        inner.writableOutputs = names
        var breakWhen: Condition?
        if let node = reader.node("break_when") {
            breakWhen = ConditionReader.read(node, reader)
            // The condition reads this loop's variables and its inner nodes, which the graph checks cannot see
            // from outside the loop: check them here.
            let own = reader.nodeId
            for read in reader.reads where read.path.root == own || inner.graph.node(read.path.root) != nil {
                guard let output = read.path.output else { continue }
                if read.path.root == own {
                    if !(["index"] + names).contains(output) {
                        reader.error("'break_when' reads '\(read.path)', but loop '\(own)' has no variable '\(output)' (it has: \((["index"] + names).joined(separator: ", ")))", at: read.location)
                    }
                } else if let producer = inner.graph.node(read.path.root), let outputs = producer.behavior.outputNames, !outputs.contains(output) {
                    reader.error("'break_when' reads '\(read.path)', but \(producer.type) node '\(producer.id)' has no output '\(output)'", at: read.location)
                }
            }
            reader.forgetReads { $0.root == own || inner.graph.node($0.root) != nil }
        }
        let breakNodes = inner.graph.nodes.filter { $0.behavior is LoopBreakNode }.map(\.id)
        guard reader.isValid else { return nil }
        return LoopNode(variables: variables, maxRounds: maxRounds, breakWhen: breakWhen, inner: inner, breakNodes: breakNodes)
    }

    /// `variables: {NAME: {type, value}}` or `{NAME: TYPE}` (starting empty); `value` is a template.
    private static func readVariables(_ reader: NodeReader) -> [Variable] {
        guard let node = reader.node("variables"), let entries = reader.mapping(node, what: "'variables'") else { return [] }
        var variables: [Variable] = []
        for entry in entries {
            guard VariablePath.isName(entry.key), entry.key != "index", entry.key != "loop_round" else {
                reader.error("'\(entry.key)' cannot name a loop variable (letters, digits, '_' and '-'; not index or loop_round)", at: entry.keyLocation)
                continue
            }
            var typeNode = entry.value
            var initial: ValueTemplate?
            if case .scalar = entry.value.kind {
                typeNode = entry.value
            } else if let fields = reader.mapping(entry.value, what: "loop variable '\(entry.key)'", allowed: ["type", "value"]) {
                guard let type = fields["type"] else {
                    reader.error("loop variable '\(entry.key)' needs a 'type'", at: entry.value.location)
                    continue
                }
                typeNode = type
                initial = fields["value"].flatMap { reader.valueTemplate($0, what: "the value of loop variable '\(entry.key)'") }
            } else {
                continue
            }
            guard let typeName = reader.string(typeNode, what: "the type of loop variable '\(entry.key)'") else { continue }
            guard let type = ValueType(name: typeName) else {
                reader.error("loop variable '\(entry.key)' has unknown type '\(typeName)'; use one of: \(ValueType.allCases.map(\.rawValue).joined(separator: ", "))", at: typeNode.location)
                continue
            }
            variables.append(Variable(name: entry.key, type: type, initial: initial ?? .literal(type.empty)))
        }
        return variables
    }

    public var outputNames: [String]? { variables.map(\.name) + ["loop_round"] }
    public var innerGraph: InnerGraph? { inner }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        var values: [String: Value] = [:]
        for variable in variables {
            let value = variable.type.coerce(variable.initial.evaluate(context.pool))
            if let problem = variable.type.problem(with: value, limits: false) {
                throw NodeError.invalidValue("loop variable '\(variable.name)' is declared \(variable.type.rawValue): \(problem)")
            }
            values[variable.name] = value
        }
        let inputs = values.merging(["max_rounds": .int(maxRounds)]) { value, _ in value }
        let types = Dictionary(variables.map { ($0.name, $0.type) }) { first, _ in first }
        var checkPool = context.pool
        checkPool.set(values.merging(["index": .int(0)]) { value, _ in value }, for: context.nodeId)
        context.emit(.iterationStarted(context.execution, count: maxRounds))
        var rounds = 0
        if try breakWhen?.evaluate(checkPool) != true {
            while rounds < maxRounds {
                context.emit(.iterationNext(context.execution, index: rounds))
                let scope = values.merging(["index": .int(rounds)]) { value, _ in value }
                let outcome = await context.runInnerGraph(inner, scope: scope, index: rounds, types: types)
                if outcome.stopped || Task.isCancelled { throw CancellationError() }
                if let error = outcome.error {
                    context.emit(.iterationCompleted(context.execution, count: rounds, status: .failed))
                    throw NodeError.failed(type: "loop_failed", message: "round \(rounds): \(error)")
                }
                rounds += 1
                let state = outcome.pool[scope: context.nodeId] ?? [:]
                for variable in variables { values[variable.name] = state[variable.name] ?? values[variable.name] }
                if breakNodes.contains(where: { outcome.pool[scope: $0] != nil }) { break }
                if try breakWhen?.evaluate(outcome.pool) == true { break }
            }
        }
        context.emit(.iterationCompleted(context.execution, count: rounds, status: .succeeded))
        return NodeResult(outputs: values.merging(["loop_round": .int(rounds)]) { value, _ in value }, inputs: inputs)
    }
}
