/// A write to a variable a node does not own: a conversation variable (`conversation.NAME`) or a variable of a
/// loop the node runs in (`LOOP.NAME`). The graph runner applies it when the node succeeds.
public struct VariableAssignment: Sendable, Equatable {
    public var scope: String
    public var name: String
    public var value: Value

    public init(scope: String, name: String, value: Value) {
        self.scope = scope
        self.name = name
        self.value = value
    }
}
