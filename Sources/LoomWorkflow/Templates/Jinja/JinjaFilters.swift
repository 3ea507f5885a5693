import Foundation

/// The filters, tests and methods of the supported subset; the parser refuses any other name.
enum JinjaFilters {
    static let filters: Set<String> = [
        "default", "d", "length", "count", "join", "tojson", "upper", "lower", "trim", "replace", "first", "last", "round", "int",
        "float", "string", "title", "capitalize", "list", "sort", "unique", "reverse", "sum", "min", "max", "abs", "truncate",
        "wordcount", "safe", "e", "escape", "map", "batch",
    ]
    static let methods: Set<String> = ["items", "keys", "values", "get", "upper", "lower", "strip", "split", "replace", "startswith", "endswith", "join"]
    static let tests: Set<String> = ["defined", "undefined", "none", "number", "string", "mapping", "iterable", "sequence", "even", "odd", "true", "false"]

    /// Parameters are read by their position and name in Jinja2's own signatures.
    static func apply(_ name: String, to value: Value?, arguments: JinjaArguments) throws(JinjaRenderError) -> Value? {
        switch name {
        case "default", "d":
            let replace = JinjaValue.truthy(arguments[1, "boolean"]) ? !JinjaValue.truthy(value) : value == nil
            return replace ? (arguments[0, "default_value"] ?? .string("")) : value
        case "length", "count":
            switch value {
            case .array(let items)?: return .int(items.count)
            case .object(let fields)?: return .int(fields.count)
            case .string(let text)?: return .int(text.count)
            default: return .int(0)
            }
        case "join":
            let separator = arguments[0, "d"].map(JinjaValue.text) ?? ""
            var items = try JinjaValue.iterate(value)
            if let attribute = arguments[1, "attribute"].map(JinjaValue.text) { items = items.map { JinjaExpression.member($0, attribute) ?? .null } }
            return .string(items.map { JinjaValue.text($0) }.joined(separator: separator))
        case "tojson": return .string(JinjaValue.json(value ?? .null))
        case "upper": return .string(JinjaValue.text(value).uppercased())
        case "lower": return .string(JinjaValue.text(value).lowercased())
        case "trim": return .string(JinjaValue.text(value).trimmingCharacters(in: .whitespacesAndNewlines))
        case "replace":
            return .string(JinjaValue.text(value).replacingOccurrences(of: JinjaValue.text(arguments[0, "old"]), with: JinjaValue.text(arguments[1, "new"])))
        case "first": return try JinjaValue.iterate(value).first
        case "last": return try JinjaValue.iterate(value).last
        case "round":
            guard let number = JinjaValue.number(value) else { throw JinjaRenderError(message: "round needs a number") }
            let scale = pow(10, JinjaValue.number(arguments[0, "precision"]) ?? 0)
            return .double((number * scale).rounded() / scale)
        case "int": return .int(Int(JinjaValue.number(value) ?? Double(JinjaValue.text(value).trimmingCharacters(in: .whitespaces)) ?? 0))
        case "float": return .double(JinjaValue.number(value) ?? Double(JinjaValue.text(value).trimmingCharacters(in: .whitespaces)) ?? 0)
        case "string", "safe", "e", "escape":
            let text = JinjaValue.text(value)
            guard name == "e" || name == "escape" else { return .string(text) }
            return .string(
                text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                    .replacingOccurrences(of: "\"", with: "&#34;").replacingOccurrences(of: "'", with: "&#39;"))
        case "title": return .string(JinjaValue.text(value).capitalized)
        case "capitalize":
            let text = JinjaValue.text(value)
            return .string(text.prefix(1).uppercased() + text.dropFirst().lowercased())
        case "list": return .array(try JinjaValue.iterate(value))
        case "sort":
            let items = try JinjaValue.iterate(value)
            let key = arguments[2, "attribute"].map(JinjaValue.text)
            let sorted = items.sorted { a, b in
                let (x, y) = key.map { (JinjaExpression.member(a, $0), JinjaExpression.member(b, $0)) } ?? (a, b)
                return (try? JinjaValue.less(x, y)) ?? (JinjaValue.text(x) < JinjaValue.text(y))
            }
            return .array(JinjaValue.truthy(arguments[0, "reverse"]) ? sorted.reversed() : sorted)
        case "unique":
            var seen = Set<Value>()
            return .array(try JinjaValue.iterate(value).filter { seen.insert($0).inserted })
        case "reverse":
            if case .string(let text)? = value { return .string(String(text.reversed())) }
            return .array(try JinjaValue.iterate(value).reversed())
        case "sum":
            var total: Value = .int(0)
            for item in try JinjaValue.iterate(value) { total = try JinjaValue.arithmetic(total, item, "+") }
            return total
        case "min", "max":
            let items = try JinjaValue.iterate(value)
            var best: Value?
            for item in items {
                guard let current = best else {
                    best = item
                    continue
                }
                let less = try JinjaValue.less(item, current)
                if name == "min" ? less : try JinjaValue.less(current, item) { best = item }
            }
            return best
        case "abs":
            guard let number = JinjaValue.number(value) else { throw JinjaRenderError(message: "abs needs a number") }
            if case .int(let integer)? = value { return .int(Swift.abs(integer)) }
            return .double(Swift.abs(number))
        case "truncate":
            let text = JinjaValue.text(value)
            let length = Int(JinjaValue.number(arguments[0, "length"]) ?? 255)
            return .string(text.count <= length ? text : String(text.prefix(max(length - 3, 0))) + "...")
        case "wordcount": return .int(JinjaValue.text(value).split(whereSeparator: \.isWhitespace).count)
        case "map":
            // map(attribute='x') reads a field of each item; map('upper', …) applies that filter to each.
            let items = try JinjaValue.iterate(value)
            if let attribute = arguments.keyword("attribute").map(JinjaValue.text) {
                // A missing field is Jinja's undefined, which prints as nothing, unless a default is given.
                let missing = arguments.keyword("default") ?? .string("")
                return .array(items.map { JinjaExpression.member($0, attribute) ?? missing })
            }
            guard let filter = arguments[0, "filter"]?.stringValue else { return .array(items) }
            guard filters.contains(filter) else { throw JinjaRenderError(message: "map: unknown filter '\(filter)'") }
            var mapped: [Value] = []
            for item in items { mapped.append(try apply(filter, to: item, arguments: arguments.dropping(1)) ?? .null) }
            return .array(mapped)
        case "batch":
            let size = max(Int(JinjaValue.number(arguments[0, "linecount"]) ?? 1), 1)
            let items = try JinjaValue.iterate(value)
            return .array(stride(from: 0, to: items.count, by: size).map { .array(Array(items[$0..<min($0 + size, items.count)])) })
        default:
            throw JinjaRenderError(message: "unknown filter '\(name)'")
        }
    }

    static func method(_ name: String, on value: Value?, arguments: JinjaArguments) throws(JinjaRenderError) -> Value? {
        let argument = { (index: Int) in arguments[index, ""] }
        switch (name, value) {
        case ("items", .object(let fields)?): return .array(fields.keys.sorted().map { .array([.string($0), fields[$0]!]) })
        case ("keys", .object(let fields)?): return .array(fields.keys.sorted().map(Value.string))
        case ("values", .object(let fields)?): return .array(fields.keys.sorted().map { fields[$0]! })
        case ("get", .object(let fields)?): return fields[JinjaValue.text(argument(0))] ?? argument(1) ?? .null
        case ("upper", _), ("lower", _), ("replace", _): return try apply(name, to: value, arguments: arguments)
        case ("strip", _): return try apply("trim", to: value, arguments: JinjaArguments([]))
        case ("split", _):
            let text = JinjaValue.text(value)
            guard let separator = argument(0).map(JinjaValue.text), !separator.isEmpty else {
                return .array(text.split(whereSeparator: \.isWhitespace).map { .string(String($0)) })
            }
            return .array(text.components(separatedBy: separator).map(Value.string))
        case ("startswith", _): return .bool(JinjaValue.text(value).hasPrefix(JinjaValue.text(argument(0))))
        case ("endswith", _): return .bool(JinjaValue.text(value).hasSuffix(JinjaValue.text(argument(0))))
        case ("join", _): return try apply("join", to: argument(0), arguments: JinjaArguments([value]))
        default: throw JinjaRenderError(message: "\(value?.typeName ?? "undefined") has no method '\(name)'")
        }
    }

    static func test(_ name: String, _ value: Value?) throws(JinjaRenderError) -> Bool {
        switch name {
        case "defined": return value != nil
        case "undefined": return value == nil
        case "none": return value == .null
        case "number":
            if case .int? = value { return true }
            if case .double? = value { return true }
            return false
        case "string": return value?.stringValue != nil
        case "mapping": return value?.objectValue != nil
        case "iterable", "sequence": return value?.arrayValue != nil || value?.stringValue != nil || value?.objectValue != nil
        case "even", "odd":
            guard let number = JinjaValue.number(value) else { throw JinjaRenderError(message: "'\(name)' needs a number") }
            return (Int(number) % 2 == 0) == (name == "even")
        case "true": return value == .bool(true)
        case "false": return value == .bool(false)
        default: throw JinjaRenderError(message: "unknown test '\(name)'")
        }
    }
}
