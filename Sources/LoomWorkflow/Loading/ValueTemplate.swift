/// Structured data whose strings are templates: http bodies, tool arguments, default outputs.
public indirect enum ValueTemplate: Sendable {
    case literal(Value)
    case template(Template)
    case array([ValueTemplate])
    case object([String: ValueTemplate])

    public func evaluate(_ pool: VariablePool) -> Value {
        switch self {
        case .literal(let value): return value
        case .template(let template): return template.evaluate(pool)
        case .array(let items): return .array(items.map { $0.evaluate(pool) })
        case .object(let fields): return .object(fields.mapValues { $0.evaluate(pool) })
        }
    }
}
