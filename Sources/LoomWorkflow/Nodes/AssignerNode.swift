/// Writes conversation variables (`conversation.NAME`) or the variables of the loop it is in (`LOOP.NAME`), with
/// Dify's assigner operations. Items apply in order, each seeing the ones before it; nothing is written unless all
/// of them succeed.
public struct AssignerNode: WorkflowNode {
    public static let typeName = "assigner"
    public static let configKeys = ["assign"]
    public static let runsInstantly = true

    public enum Operation: String, Sendable, CaseIterable {
        case overWrite = "over-write"
        case set
        case clear
        case append
        case extend
        case add = "+="
        case subtract = "-="
        case multiply = "*="
        case divide = "/="
        case removeFirst = "remove-first"
        case removeLast = "remove-last"

        var takesValue: Bool { ![.clear, .removeFirst, .removeLast].contains(self) }
    }

    public struct Item: Sendable {
        public var variable: VariablePath
        public var operation: Operation
        public var value: ValueTemplate?
    }

    public let items: [Item]

    public static func decode(_ reader: NodeReader) -> AssignerNode? {
        guard let node = reader.node("assign", required: true), let list = reader.list(node, what: "'assign'") else { return nil }
        guard !list.isEmpty else {
            reader.error("'assign' needs at least one {variable, operation, value}", at: node.location)
            return nil
        }
        var items: [Item] = []
        for entry in list {
            guard let fields = reader.mapping(entry, what: "an assignment", allowed: ["variable", "operation", "value"]) else { continue }
            guard let variableNode = fields["variable"] else {
                reader.error("an assignment needs 'variable' (conversation.NAME or LOOP_ID.NAME)", at: entry.location)
                continue
            }
            guard let variable = reader.target(variableNode, what: "'variable'") else { continue }
            var operation = Operation.overWrite
            if let opNode = fields["operation"], let name = reader.string(opNode, what: "'operation'") {
                guard let known = Operation(rawValue: name) else {
                    reader.error("unknown operation '\(name)'; use one of: \(Operation.allCases.map(\.rawValue).joined(separator: ", "))", at: opNode.location)
                    continue
                }
                operation = known
            }
            var value: ValueTemplate?
            if let valueNode = fields["value"] {
                guard operation.takesValue else {
                    reader.error("operation '\(operation.rawValue)' takes no 'value'", at: valueNode.location)
                    continue
                }
                value = reader.valueTemplate(valueNode, what: "'value'")
            } else if operation.takesValue {
                reader.error("operation '\(operation.rawValue)' needs a 'value'", at: entry.location)
                continue
            }
            items.append(Item(variable: variable, operation: operation, value: value))
        }
        return items.count == list.count ? AssignerNode(items: items) : nil
    }

    public var outputNames: [String]? { [] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        var written: [VariablePath: Value] = [:]
        var order: [VariablePath] = []
        for item in items {
            let current = written[item.variable] ?? context.pool.value(at: item.variable) ?? .null
            let type = context.declaredType(of: item.variable)
            let value = try Self.apply(item.operation, to: current, value: item.value?.evaluate(context.pool) ?? .null, type: type, variable: item.variable)
            if let type, let problem = type.problem(with: value, limits: false) {
                throw NodeError.invalidValue("'\(item.variable)' is declared \(type.rawValue): \(problem)")
            }
            if written.updateValue(value, forKey: item.variable) == nil { order.append(item.variable) }
        }
        let assignments = order.map { VariableAssignment(scope: $0.root, name: $0.output ?? "", value: written[$0] ?? .null) }
        let inputs = Dictionary(order.map { ($0.description, written[$0] ?? .null) }) { first, _ in first }
        return NodeResult(outputs: [:], inputs: inputs, assignments: assignments)
    }

    static func apply(_ operation: Operation, to current: Value, value: Value, type: ValueType?, variable: VariablePath) throws(NodeError) -> Value {
        let fail = { (message: String) in NodeError.invalidValue("cannot \(operation.rawValue) '\(variable)': \(message)") }
        switch operation {
        case .overWrite, .set:
            return type?.coerce(value) ?? value
        case .clear:
            return type?.empty ?? Self.empty(like: current)
        case .append, .extend:
            guard case .array(var list) = current else { throw fail("it holds \(current.typeName), not a list") }
            if operation == .append {
                list.append(value)
            } else {
                guard let more = value.arrayValue else { throw fail("extend needs a list, got \(value.typeName)") }
                list += more
            }
            return .array(list)
        case .removeFirst, .removeLast:
            guard case .array(var list) = current else { throw fail("it holds \(current.typeName), not a list") }
            if !list.isEmpty {
                if operation == .removeFirst { list.removeFirst() } else { list.removeLast() }
            }
            return .array(list)
        case .add, .subtract, .multiply, .divide:
            guard let left = current.numberValue, current.typeName == "number" else { throw fail("it holds \(current.typeName), not a number") }
            guard let right = ValueType.number.coerce(value).numberValue else { throw fail("'\(value.text.prefix(40))' is not a number") }
            if operation == .divide, right == 0 { throw fail("division by zero") }
            let result: Double =
                switch operation {
                case .add: left + right
                case .subtract: left - right
                case .multiply: left * right
                default: left / right
                }
            if case .int = current, case .int = ValueType.number.coerce(value), operation != .divide, let whole = Int(exactly: result) {
                return .int(whole)
            }
            return .double(result)
        }
    }

    private static func empty(like value: Value) -> Value {
        switch value {
        case .array: .array([])
        case .object: .object([:])
        case .int, .double: .int(0)
        case .bool: .bool(false)
        default: .string("")
        }
    }
}
