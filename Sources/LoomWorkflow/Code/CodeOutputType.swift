/// The declared type of a code node's output, checked with Dify's limits on what code may return.
public enum CodeOutputType: String, Sendable, CaseIterable {
    case string, number, boolean, object
    case arrayString = "array[string]"
    case arrayNumber = "array[number]"
    case arrayBoolean = "array[boolean]"
    case arrayObject = "array[object]"

    static let maxStringLength = 80_000
    static let maxDepth = 5
    static let maxStringItems = 30
    static let maxObjectItems = 30
    static let maxNumberItems = 1000

    /// What is wrong with `value` for this type, or nil.
    func problem(with value: Value) -> String? {
        switch self {
        case .string:
            guard case .string(let text) = value else { return "expected a string, got \(value.typeName)" }
            return text.count > Self.maxStringLength ? "the string is \(text.count) characters, over the limit of \(Self.maxStringLength)" : nil
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
            return Self.depth(of: value) > Self.maxDepth ? "the object is nested deeper than \(Self.maxDepth) levels" : nil
        case .arrayString, .arrayNumber, .arrayBoolean, .arrayObject:
            guard let items = value.arrayValue else { return "expected a list, got \(value.typeName)" }
            let (element, limit): (CodeOutputType, Int) =
                switch self {
                case .arrayString: (.string, Self.maxStringItems)
                case .arrayNumber: (.number, Self.maxNumberItems)
                case .arrayBoolean: (.boolean, Self.maxNumberItems)
                default: (.object, Self.maxObjectItems)
                }
            if items.count > limit { return "the list has \(items.count) items, over the limit of \(limit) for \(rawValue)" }
            for (index, item) in items.enumerated() {
                if let problem = element.problem(with: item) { return "item \(index): \(problem)" }
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
