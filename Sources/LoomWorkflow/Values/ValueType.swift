import Foundation

/// A declared type of a value — a code node's output, a conversation or loop variable — checked, for code
/// outputs, with Dify's limits on what code may return.
public enum ValueType: String, Sendable, CaseIterable {
    case string, number, boolean, object
    case arrayString = "array[string]"
    case arrayNumber = "array[number]"
    case arrayBoolean = "array[boolean]"
    case arrayObject = "array[object]"
    case arrayAny = "array[any]"

    static let maxStringLength = 80_000
    static let maxDepth = 5
    static let maxStringItems = 30
    static let maxObjectItems = 30
    static let maxNumberItems = 1000

    /// The value `clear` leaves, as Dify's assigner does.
    public var empty: Value {
        switch self {
        case .string: .string("")
        case .number: .int(0)
        case .boolean: .bool(false)
        case .object: .object([:])
        case .arrayString, .arrayNumber, .arrayBoolean, .arrayObject, .arrayAny: .array([])
        }
    }

    public var isList: Bool { rawValue.hasPrefix("array") }

    /// Reads Dify's spellings too: `array_string`, `integer`, `float`, `array`.
    public init?(name: String) {
        let aliases: [String: ValueType] = [
            "integer": .number, "float": .number, "array": .arrayAny, "secret": .string, "text": .string,
        ]
        if let known = ValueType(rawValue: name) ?? aliases[name] {
            self = known
        } else if name.hasPrefix("array_"), let known = ValueType(rawValue: "array[\(name.dropFirst(6))]") {
            self = known
        } else {
            return nil
        }
    }

    /// Text (a template's result) read as this type where it reads as one: `"3"` as a number, JSON text as a list.
    public func coerce(_ value: Value) -> Value {
        guard case .string(let text) = value else { return value }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch self {
        case .number:
            if let whole = Int(trimmed) { return .int(whole) }
            if let number = Double(trimmed), number.isFinite { return .double(number) }
        case .boolean:
            if trimmed == "true" || trimmed == "false" { return .bool(trimmed == "true") }
        case .object, .arrayString, .arrayNumber, .arrayBoolean, .arrayObject, .arrayAny:
            if let parsed = try? JSONDocumentReader.parse(text).value, parsed.typeName == (self == .object ? "object" : "array") { return parsed }
        case .string:
            break
        }
        return value
    }

    /// What is wrong with `value` for this type, or nil; `limits` adds Dify's limits on what code may return.
    public func problem(with value: Value, limits: Bool = true) -> String? {
        switch self {
        case .string:
            guard case .string(let text) = value else { return "expected a string, got \(value.typeName)" }
            return limits && text.count > Self.maxStringLength ? "the string is \(text.count) characters, over the limit of \(Self.maxStringLength)" : nil
        case .number:
            switch value {
            case .int: return nil
            case .double(let number): return number.isFinite ? nil : "the number is not finite"
            default: return "expected a number, got \(value.typeName)"
            }
        case .boolean:
            return value.boolValue == nil ? "expected a boolean, got \(value.typeName)" : nil
        case .object:
            guard value.objectValue != nil else { return "expected an object, got \(value.typeName)" }
            return limits && Self.depth(of: value) > Self.maxDepth ? "the object is nested deeper than \(Self.maxDepth) levels" : nil
        case .arrayAny:
            return value.arrayValue == nil ? "expected a list, got \(value.typeName)" : nil
        case .arrayString, .arrayNumber, .arrayBoolean, .arrayObject:
            guard let items = value.arrayValue else { return "expected a list, got \(value.typeName)" }
            let (element, limit): (ValueType, Int) =
                switch self {
                case .arrayString: (.string, Self.maxStringItems)
                case .arrayNumber: (.number, Self.maxNumberItems)
                case .arrayBoolean: (.boolean, Self.maxNumberItems)
                default: (.object, Self.maxObjectItems)
                }
            if limits, items.count > limit { return "the list has \(items.count) items, over the limit of \(limit) for \(rawValue)" }
            for (index, item) in items.enumerated() {
                if let problem = element.problem(with: item, limits: limits) { return "item \(index): \(problem)" }
            }
            return nil
        }
    }

    private static func depth(of value: Value) -> Int {
        switch value {
        case .object(let fields): return 1 + (fields.values.map(depth).max() ?? 0)
        case .array(let items): return 1 + (items.map(depth).max() ?? 0)
        default: return 0
        }
    }
}
