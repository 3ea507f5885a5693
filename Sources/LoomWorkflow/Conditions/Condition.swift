import Foundation

/// A boolean expression over variables: comparisons joined by `all` / `any`.
public indirect enum Condition: Sendable {
    case compare(variable: VariablePath, op: ConditionOperator, value: ValueTemplate?)
    /// A comparison of one field (`key`, a dotted path) of each item of a list: it holds when some item's field
    /// passes, or — for the negative operators (`not_contains`, `not_in`, `is_not`, `not_empty`, `not_null`,
    /// `not_exists`) — when every item's does (Dify's rule for conditions on a list's files).
    case items(variable: VariablePath, key: [String], op: ConditionOperator, value: ValueTemplate?)
    case all([Condition])
    case any([Condition])

    public func evaluate(_ pool: VariablePool) throws(NodeError) -> Bool {
        switch self {
        case .all(let conditions):
            for condition in conditions where !(try condition.evaluate(pool)) { return false }
            return true
        case .any(let conditions):
            for condition in conditions where try condition.evaluate(pool) { return true }
            return false
        case .compare(let variable, let op, let value):
            return try Self.compare(pool.value(at: variable) ?? .null, op, value?.evaluate(pool), variable: variable)
        case .items(let variable, let key, let op, let value):
            let items: [Value]
            switch pool.value(at: variable) ?? .null {
            case .array(let values): items = values
            case .null: items = []
            case let other: throw NodeError.invalidValue("condition on the items of '\(variable)': it must be a list, got \(other.typeName)")
            }
            let expected = value?.evaluate(pool)
            let passes = { (item: Value) throws(NodeError) -> Bool in
                try Self.compare(item[path: key[...]] ?? .null, op, expected, variable: variable)
            }
            if op.isNegative {
                for item in items where !(try passes(item)) { return false }
                return true
            }
            for item in items where try passes(item) { return true }
            return false
        }
    }

    static func compare(_ actual: Value, _ op: ConditionOperator, _ expected: Value?, variable: VariablePath) throws(NodeError) -> Bool {
        let expected = expected ?? .null
        switch op {
        case .contains, .notContains:
            let found: Bool
            switch actual {
            case .array(let items): found = items.contains { $0.text == expected.text }
            case .null: found = false
            default: found = actual.text.contains(expected.text)
            }
            return op == .contains ? found : !found
        case .startsWith: return !actual.isNull && actual.text.hasPrefix(expected.text)
        case .endsWith: return !actual.isNull && actual.text.hasSuffix(expected.text)
        case .is: return actual.text == expected.text
        case .isNot: return actual.text != expected.text
        case .empty, .notEmpty:
            let isEmpty: Bool
            switch actual {
            case .null: isEmpty = true
            case .string(let text): isEmpty = text.isEmpty
            case .array(let items): isEmpty = items.isEmpty
            case .object(let fields): isEmpty = fields.isEmpty
            default: isEmpty = false
            }
            return op == .empty ? isEmpty : !isEmpty
        case .in, .notIn:
            let options = Self.list(expected)
            let found = options.contains(actual.text)
            return op == .in ? found : !found
        case .allOf:
            let wanted = Self.list(expected)
            let present = Set((actual.arrayValue ?? [actual]).map(\.text))
            return wanted.allSatisfy(present.contains)
        case .equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual:
            guard let left = actual.numberValue else {
                if actual.isNull { return op == .notEqual }
                throw NodeError.invalidValue("condition on '\(variable)': '\(actual.text.prefix(40))' is not a number")
            }
            guard let right = expected.numberValue else {
                throw NodeError.invalidValue("condition on '\(variable)': the value compared with, '\(expected.text.prefix(40))', is not a number")
            }
            switch op {
            case .equal: return left == right
            case .notEqual: return left != right
            case .greater: return left > right
            case .less: return left < right
            case .greaterOrEqual: return left >= right
            default: return left <= right
            }
        case .null, .notExists: return actual.isNull
        case .notNull, .exists: return !actual.isNull
        }
    }

    /// A list operand: a list, or text separated by commas.
    private static func list(_ value: Value) -> [String] {
        if let items = value.arrayValue { return items.map(\.text) }
        return value.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
