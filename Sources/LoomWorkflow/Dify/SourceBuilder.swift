/// Builds a document in code, every part placed at one location of the file it was made from, so that problems
/// found when the result loads point back at what the user wrote.
struct SourceBuilder {
    let location: SourceLocation

    func text(_ text: String) -> SourceNode { SourceNode(.scalar(.string(text)), at: location) }

    /// A mapping in the order given; absent values are left out.
    func mapping(_ pairs: [(String, SourceNode?)]) -> SourceNode {
        let entries = pairs.compactMap { pair in pair.1.map { SourceEntry(key: pair.0, keyLocation: location, value: $0) } }
        return SourceNode(.mapping(entries), at: location)
    }

    func list(_ items: [SourceNode]) -> SourceNode { SourceNode(.sequence(items), at: location) }

    /// A plain value; object keys in sorted order.
    func value(_ value: Value) -> SourceNode {
        switch value {
        case .array(let items): return list(items.map(self.value))
        case .object(let fields): return mapping(fields.keys.sorted().map { ($0, self.value(fields[$0]!)) })
        default: return SourceNode(.scalar(value), at: location)
        }
    }
}

extension SourceNode {
    /// The value under `key` of a mapping.
    subscript(key: String) -> SourceNode? {
        guard case .mapping(let entries) = kind else { return nil }
        return entries.last { $0.key == key }?.value
    }

    var items: [SourceNode] {
        if case .sequence(let items) = kind { return items }
        return []
    }

    /// A copy with `value` set under `key` (replacing or appending).
    func setting(_ key: String, _ value: SourceNode) -> SourceNode {
        guard case .mapping(var entries) = kind else { return self }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = value
        } else {
            entries.append(SourceEntry(key: key, keyLocation: value.location, value: value))
        }
        return SourceNode(.mapping(entries), at: location)
    }
}
