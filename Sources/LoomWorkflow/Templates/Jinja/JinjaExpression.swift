/// A Jinja2 expression; evaluating an unknown name gives undefined (nil), which renders as nothing.
indirect enum JinjaExpression: Sendable {
    case literal(Value)
    case name(String)
    case list([JinjaExpression])
    case dictionary([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String)
    case item(JinjaExpression, JinjaExpression)
    case filter(JinjaExpression, String, [JinjaArgumentExpression])
    case method(JinjaExpression, String, [JinjaArgumentExpression])
    case test(JinjaExpression, String, negated: Bool)
    case unary(String, JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    case conditional(JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)

    func evaluate(_ scope: JinjaScope) throws(JinjaRenderError) -> Value? {
        switch self {
        case .literal(let value): return value
        case .name(let name): return scope.lookup(name)
        case .list(let items):
            var values: [Value] = []
            for item in items { values.append(try item.evaluate(scope) ?? .null) }
            return .array(values)
        case .dictionary(let pairs):
            var fields: [String: Value] = [:]
            for (key, value) in pairs { fields[JinjaValue.text(try key.evaluate(scope))] = try value.evaluate(scope) ?? .null }
            return .object(fields)
        case .attribute(let base, let name):
            return Self.member(try base.evaluate(scope), name)
        case .item(let base, let index):
            let container = try base.evaluate(scope)
            let key = try index.evaluate(scope)
            if case .array(let items)? = container, let position = JinjaValue.number(key).map(Int.init) {
                let resolved = position < 0 ? items.count + position : position
                return items.indices.contains(resolved) ? items[resolved] : nil
            }
            return Self.member(container, JinjaValue.text(key))
        case .filter(let base, let name, let arguments):
            return try JinjaFilters.apply(name, to: try base.evaluate(scope), arguments: try JinjaArguments(arguments, scope))
        case .method(let base, let name, let arguments):
            return try JinjaFilters.method(name, on: try base.evaluate(scope), arguments: try JinjaArguments(arguments, scope))
        case .test(let base, let name, let negated):
            let result = try JinjaFilters.test(name, try base.evaluate(scope))
            return .bool(negated ? !result : result)
        case .unary(let op, let operand):
            let value = try operand.evaluate(scope)
            if op == "not" { return .bool(!JinjaValue.truthy(value)) }
            return try JinjaValue.arithmetic(.int(0), value, "-")
        case .binary(let op, let left, let right):
            return try Self.binary(op, left, right, scope)
        case .conditional(let value, let condition, let otherwise):
            if JinjaValue.truthy(try condition.evaluate(scope)) { return try value.evaluate(scope) }
            return try otherwise?.evaluate(scope)
        }
    }

    private static func binary(_ op: String, _ left: JinjaExpression, _ right: JinjaExpression, _ scope: JinjaScope) throws(JinjaRenderError) -> Value? {
        switch op {
        case "and":
            let value = try left.evaluate(scope)
            return JinjaValue.truthy(value) ? try right.evaluate(scope) : value
        case "or":
            let value = try left.evaluate(scope)
            return JinjaValue.truthy(value) ? value : try right.evaluate(scope)
        default:
            break
        }
        let a = try left.evaluate(scope)
        let b = try right.evaluate(scope)
        switch op {
        case "~": return .string(JinjaValue.text(a) + JinjaValue.text(b))
        case "==": return .bool(JinjaValue.equal(a, b))
        case "!=": return .bool(!JinjaValue.equal(a, b))
        case "<": return .bool(try JinjaValue.less(a, b))
        case ">": return .bool(try JinjaValue.less(b, a))
        case "<=": return .bool(try !JinjaValue.less(b, a))
        case ">=": return .bool(try !JinjaValue.less(a, b))
        case "in": return .bool(try JinjaValue.contains(b, a))
        case "not in": return .bool(try !JinjaValue.contains(b, a))
        default: return try JinjaValue.arithmetic(a, b, op)
        }
    }

    /// `value.name`: a field of a mapping, or a list's item by number.
    static func member(_ value: Value?, _ name: String) -> Value? {
        switch value {
        case .object(let fields)?: return fields[name]
        case .array(let items)?: return Int(name).flatMap { items.indices.contains($0) ? items[$0] : nil }
        default: return nil
        }
    }
}

/// A call argument as written: `value` or `name=value`.
struct JinjaArgumentExpression: Sendable {
    var name: String?
    var value: JinjaExpression
}

/// A call's evaluated arguments, read as Python binds them: by keyword, else by position.
struct JinjaArguments {
    private var positional: [Value?] = []
    private var named: [String: Value?] = [:]

    init(_ expressions: [JinjaArgumentExpression], _ scope: JinjaScope) throws(JinjaRenderError) {
        for argument in expressions {
            let value = try argument.value.evaluate(scope)
            if let name = argument.name { named[name] = value } else { positional.append(value) }
        }
    }

    init(_ values: [Value?]) {
        positional = values
    }

    /// The parameter at `position` in the signature, called `name`.
    subscript(_ position: Int, _ name: String) -> Value? {
        if let value = named[name] { return value }
        return position < positional.count ? positional[position] : nil
    }

    /// A keyword-only parameter.
    func keyword(_ name: String) -> Value? {
        named[name] ?? nil
    }

    /// Positional arguments from `position` on (for `map('filter', …)`).
    func dropping(_ count: Int) -> JinjaArguments {
        var rest = self
        rest.positional = Array(positional.dropFirst(count))
        return rest
    }
}
