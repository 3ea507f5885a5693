import Mustache

/// Lets Mustache walk the variable pool and `Value`s without converting them up front.
struct TemplateScope: MustacheParent {
    let pool: VariablePool

    func child(named name: String) -> Any? {
        guard let scope = pool.scopes[name] else { return nil }
        return TemplateObject(fields: scope)
    }
}

struct TemplateObject: MustacheParent, MustacheCustomRenderable {
    let fields: [String: Value]

    func child(named name: String) -> Any? {
        fields[name]
    }

    var renderText: String { JSONWriter.string(.object(fields)) }
    var isNull: Bool { false }
}

struct TemplateList: MustacheSequence, MustacheCustomRenderable, MustacheParent {
    let items: [Value]

    func makeIterator() -> IndexingIterator<[Value]> { items.makeIterator() }

    /// `list.0` reads the first item, `list.length` the count.
    func child(named name: String) -> Any? {
        Value.array(items)[path: [name]]
    }

    var renderText: String { JSONWriter.string(.array(items)) }
    var isNull: Bool { false }
}

extension Value: MustacheCustomRepresentation {
    public var representation: Any? {
        switch self {
        case .null: return nil
        case .bool(let flag): return flag
        case .int(let number): return number
        case .double(let number): return JSONWriter.format(number)
        case .string(let text): return text
        case .array(let items): return TemplateList(items: items)
        case .object(let fields): return TemplateObject(fields: fields)
        }
    }
}
