/// Filters, picks, sorts and cuts a list, in that order (as Dify's list operator does). Items may be text,
/// numbers or objects; `key` names the field of object items to compare or sort by. Outputs `result`,
/// `first_record` and `last_record` (null for an empty result).
public struct ListOperatorNode: WorkflowNode {
    public static let typeName = "list-operator"
    public static let configKeys = ["list", "filter", "extract", "order", "limit"]
    public static let runsInstantly = true

    public struct Filter: Sendable {
        public var key: [String]
        public var op: ConditionOperator
        public var value: ValueTemplate?
    }

    public struct Order: Sendable {
        public var key: [String]
        public var descending: Bool
    }

    public let list: VariablePath
    public let filters: [Filter]
    /// The 1-based position of the one item to keep.
    public let extract: ValueTemplate?
    public let order: Order?
    public let limit: Int?

    public static func decode(_ reader: NodeReader) -> ListOperatorNode? {
        let list = reader.node("list", required: true).flatMap { reader.reference($0, what: "'list'") }
        var filters: [Filter] = []
        if let node = reader.node("filter"), let items = reader.list(node, what: "'filter'") {
            for item in items {
                guard let fields = reader.mapping(item, what: "a filter", allowed: ["key", "op", "value"]) else { continue }
                guard let opNode = fields["op"], let name = reader.string(opNode, what: "'op'") else {
                    reader.error("a filter needs 'op' (and 'value' for comparisons)", at: item.location)
                    continue
                }
                guard let op = ConditionOperator(name: name) else {
                    reader.error("unknown operator '\(name)'; known: \(ConditionOperator.allCases.map(\.rawValue).joined(separator: ", "))", at: opNode.location)
                    continue
                }
                let value = fields["value"].flatMap { reader.valueTemplate($0, what: "'value'") }
                if op.isUnary != (fields["value"] == nil) {
                    reader.error(op.isUnary ? "operator '\(name)' takes no 'value'" : "operator '\(name)' needs a 'value'", at: item.location)
                    continue
                }
                filters.append(Filter(key: key(fields["key"], reader), op: op, value: value))
            }
        }
        let extract = reader.node("extract").flatMap { reader.valueTemplate($0, what: "'extract'") }
        var order: Order?
        if let node = reader.node("order") {
            if case .scalar = node.kind, let direction = reader.string(node, what: "'order'") {
                order = direction == "asc" || direction == "desc" ? Order(key: [], descending: direction == "desc") : nil
            } else if let fields = reader.mapping(node, what: "'order'", allowed: ["key", "direction"]) {
                let direction = fields["direction"].flatMap { reader.string($0, what: "'order.direction'") } ?? "asc"
                order = direction == "asc" || direction == "desc" ? Order(key: key(fields["key"], reader), descending: direction == "desc") : nil
            }
            if order == nil { reader.error("'order' must be asc, desc or {key, direction: asc|desc}", at: node.location) }
        }
        let limit = reader.integer("limit", in: 1...1_000_000)
        guard let list, reader.isValid else { return nil }
        return ListOperatorNode(list: list, filters: filters, extract: extract, order: order, limit: limit)
    }

    private static func key(_ node: SourceNode?, _ reader: NodeReader) -> [String] {
        guard let node, let text = reader.string(node, what: "'key'") else { return [] }
        return text.split(separator: ".").map(String.init)
    }

    public var outputNames: [String]? { ["result", "first_record", "last_record"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        var items: [Value]
        switch context.pool.value(at: list) ?? .null {
        case .array(let values): items = values
        case .null: items = []
        case let other: throw NodeError.invalidValue("'list' (\(list)) must be a list, got \(other.typeName)")
        }
        let inputs: [String: Value] = ["list": .array(items)]
        for filter in filters {
            let expected = filter.value?.evaluate(context.pool)
            items = try items.filter { item throws(NodeError) in
                try Condition.compare(Self.field(filter.key, of: item), filter.op, expected, variable: list)
            }
        }
        if let extract {
            let position = extract.evaluate(context.pool)
            guard let index = ValueType.number.coerce(position).numberValue.flatMap({ Int(exactly: $0) }), index >= 1 else {
                throw NodeError.invalidValue("'extract' must be a position from 1, got '\(position.text.prefix(40))'")
            }
            guard index <= items.count else { throw NodeError.invalidValue("'extract' asks for item \(index) of a list of \(items.count)") }
            items = [items[index - 1]]
        }
        if let order {
            let keyed = items.enumerated().map { (offset: $0.offset, key: Self.field(order.key, of: $0.element), item: $0.element) }
            items = keyed.sorted { left, right in
                let ascending = Self.precedes(left.key, right.key)
                let descending = Self.precedes(right.key, left.key)
                if !ascending && !descending { return left.offset < right.offset }
                return order.descending ? descending : ascending
            }.map(\.item)
        }
        if let limit { items = Array(items.prefix(limit)) }
        return NodeResult(
            outputs: ["result": .array(items), "first_record": items.first ?? .null, "last_record": items.last ?? .null], inputs: inputs)
    }

    private static func field(_ key: [String], of item: Value) -> Value {
        key.isEmpty ? item : item[path: key[...]] ?? .null
    }

    /// Numbers before text, numbers by value, text by code point; null last.
    private static func precedes(_ left: Value, _ right: Value) -> Bool {
        switch (left.isNull, right.isNull) {
        case (true, _): return false
        case (false, true): return true
        default: break
        }
        let leftNumber = left.typeName == "number" ? left.numberValue : nil
        let rightNumber = right.typeName == "number" ? right.numberValue : nil
        switch (leftNumber, rightNumber) {
        case (let a?, let b?): return a < b
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return left.text < right.text
        }
    }
}
