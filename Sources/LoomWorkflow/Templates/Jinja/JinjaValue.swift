import Foundation

/// How Jinja2 (that is, Python) sees values: their text, their truth, and what iterating them yields.
enum JinjaValue {
    /// `str()` of a value; undefined renders as nothing.
    static func text(_ value: Value?) -> String {
        switch value {
        case nil, .null?: return value == nil ? "" : "None"
        case .string(let text)?: return text
        default: return repr(value!)
        }
    }

    /// Python's `repr`, which is also how lists and dicts print.
    static func repr(_ value: Value) -> String {
        switch value {
        case .null: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .double(let number):
            if number.isFinite, number == number.rounded(), abs(number) < 1e16 { return String(format: "%.1f", number) }
            return "\(number)"
        case .string(let text): return "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        case .array(let items): return "[" + items.map(repr).joined(separator: ", ") + "]"
        case .object(let fields): return "{" + fields.keys.sorted().map { "'\($0)': \(repr(fields[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    /// What Jinja2's `tojson` prints: Python's `json.dumps` with sorted keys (ASCII only, `": "` and `", "`
    /// separators), with `<`, `>`, `&` and `'` escaped so the text is safe inside HTML.
    static func json(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int, .double: return repr(value)
        case .array(let items): return "[" + items.map(json).joined(separator: ", ") + "]"
        case .object(let fields): return "{" + fields.keys.sorted().map { json(.string($0)) + ": " + json(fields[$0]!) }.joined(separator: ", ") + "}"
        case .string(let text):
            var result = "\""
            for unit in text.utf16 {
                switch unit {
                case 0x22: result += "\\\""
                case 0x5C: result += "\\\\"
                case 0x0A: result += "\\n"
                case 0x0D: result += "\\r"
                case 0x09: result += "\\t"
                case 0x08: result += "\\b"
                case 0x0C: result += "\\f"
                case 0x20..<0x7F where ![0x3C, 0x3E, 0x26, 0x27].contains(unit): result.append(Character(Unicode.Scalar(unit)!))
                default: result += String(format: "\\u%04x", unit)
                }
            }
            return result + "\""
        }
    }

    static func truthy(_ value: Value?) -> Bool {
        switch value {
        case nil, .null?: return false
        case .bool(let flag)?: return flag
        case .int(let number)?: return number != 0
        case .double(let number)?: return number != 0
        case .string(let text)?: return !text.isEmpty
        case .array(let items)?: return !items.isEmpty
        case .object(let fields)?: return !fields.isEmpty
        }
    }

    static func iterate(_ value: Value?) throws(JinjaRenderError) -> [Value] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?: return items
        case .object(let fields)?: return fields.keys.sorted().map(Value.string)
        case .string(let text)?: return text.map { .string(String($0)) }
        case let other?: throw JinjaRenderError(message: "cannot loop over a \(other.typeName)")
        }
    }

    static func number(_ value: Value?) -> Double? {
        switch value {
        case .int(let number)?: return Double(number)
        case .double(let number)?: return number
        case .bool(let flag)?: return flag ? 1 : 0
        default: return nil
        }
    }

    /// A number result as an int when both sides were ints.
    static func arithmetic(_ left: Value?, _ right: Value?, _ op: String) throws(JinjaRenderError) -> Value {
        if op == "+" {
            if case .string(let a)? = left, case .string(let b)? = right { return .string(a + b) }
            if case .array(let a)? = left, case .array(let b)? = right { return .array(a + b) }
        }
        guard let a = number(left), let b = number(right) else {
            throw JinjaRenderError(message: "'\(op)' needs numbers, got \(left?.typeName ?? "undefined") and \(right?.typeName ?? "undefined")")
        }
        let integers = { if case .int? = left, case .int? = right { return true } else { return false } }()
        switch op {
        case "+": return integers ? .int(Int(a) &+ Int(b)) : .double(a + b)
        case "-": return integers ? .int(Int(a) &- Int(b)) : .double(a - b)
        case "*": return integers ? .int(Int(a) &* Int(b)) : .double(a * b)
        case "/":
            guard b != 0 else { throw JinjaRenderError(message: "division by zero") }
            return .double(a / b)
        case "//":
            guard b != 0 else { throw JinjaRenderError(message: "division by zero") }
            return integers ? .int(Int((a / b).rounded(.down))) : .double((a / b).rounded(.down))
        default:
            guard b != 0 else { throw JinjaRenderError(message: "modulo by zero") }
            let remainder = a - b * (a / b).rounded(.down)
            return integers ? .int(Int(remainder)) : .double(remainder)
        }
    }

    static func equal(_ left: Value?, _ right: Value?) -> Bool {
        if let a = number(left), let b = number(right), !(left?.stringValue != nil || right?.stringValue != nil) { return a == b }
        return (left ?? .null) == (right ?? .null)
    }

    static func less(_ left: Value?, _ right: Value?) throws(JinjaRenderError) -> Bool {
        if let a = number(left), let b = number(right) { return a < b }
        if case .string(let a)? = left, case .string(let b)? = right { return a < b }
        throw JinjaRenderError(message: "cannot compare \(left?.typeName ?? "undefined") with \(right?.typeName ?? "undefined")")
    }

    static func contains(_ container: Value?, _ item: Value?) throws(JinjaRenderError) -> Bool {
        switch container {
        case .array(let items)?: return items.contains { equal($0, item) }
        case .object(let fields)?: return fields[text(item)] != nil
        case .string(let text)?: return text.contains(Self.text(item))
        default: throw JinjaRenderError(message: "'in' needs a list, a mapping or text, got \(container?.typeName ?? "undefined")")
        }
    }
}
