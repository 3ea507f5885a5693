/// Every value a run has produced so far, by namespace or node id and then by output name.
/// A value type: each node reads a snapshot taken when it starts.
public struct VariablePool: Sendable {
    public private(set) var scopes: [String: [String: Value]]

    public init(scopes: [String: [String: Value]] = [:]) {
        self.scopes = scopes
    }

    public subscript(scope scope: String) -> [String: Value]? {
        get { scopes[scope] }
        set { scopes[scope] = newValue }
    }

    public subscript(scope scope: String, default fallback: [String: Value]) -> [String: Value] {
        get { scopes[scope] ?? fallback }
        set { scopes[scope] = newValue }
    }

    public func value(at path: VariablePath) -> Value? {
        guard let scope = scopes[path.root] else { return nil }
        guard path.segments.count > 1 else { return .object(scope) }
        guard let first = scope[path.segments[1]] else { return nil }
        return path.segments.count == 2 ? first : first[path: path.segments[2...]]
    }

    public mutating func set(_ outputs: [String: Value], for scope: String) {
        scopes[scope] = outputs
    }
}
