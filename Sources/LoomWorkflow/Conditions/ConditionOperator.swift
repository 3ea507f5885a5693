/// Comparison operators of if-else conditions: Dify's set, under Dify's spellings and snake_case ones.
public enum ConditionOperator: String, Sendable, CaseIterable {
    case contains
    case notContains = "not_contains"
    case startsWith = "starts_with"
    case endsWith = "ends_with"
    case `is`
    case isNot = "is_not"
    case empty
    case notEmpty = "not_empty"
    case `in`
    case notIn = "not_in"
    case allOf = "all_of"
    case equal = "="
    case notEqual = "!="
    case greater = ">"
    case less = "<"
    case greaterOrEqual = ">="
    case lessOrEqual = "<="
    case null
    case notNull = "not_null"
    case exists
    case notExists = "not_exists"

    private static let aliases: [String: ConditionOperator] = [
        "not contains": .notContains, "start with": .startsWith, "end with": .endsWith, "is not": .isNot,
        "not empty": .notEmpty, "not in": .notIn, "all of": .allOf, "==": .equal, "eq": .equal, "≠": .notEqual,
        "ne": .notEqual, "gt": .greater, "lt": .less, "≥": .greaterOrEqual, "ge": .greaterOrEqual, "≤": .lessOrEqual,
        "le": .lessOrEqual, "not null": .notNull, "is_null": .null, "not exists": .notExists, "starts with": .startsWith,
        "ends with": .endsWith,
    ]

    public init?(name: String) {
        if let known = ConditionOperator(rawValue: name) ?? Self.aliases[name] {
            self = known
        } else {
            return nil
        }
    }

    /// The operators that deny: on a list's items, each item must pass them (the others need one item).
    public var isNegative: Bool {
        switch self {
        case .notContains, .notIn, .isNot, .notEmpty, .notNull, .notExists: return true
        default: return false
        }
    }

    /// Operators that compare against nothing.
    public var isUnary: Bool {
        switch self {
        case .empty, .notEmpty, .null, .notNull, .exists, .notExists: return true
        default: return false
        }
    }
}
