/// A loaded and validated workflow, ready to run. Immutable; safe to share between runs.
public struct Workflow: Sendable {
    public enum Mode: String, Sendable {
        case workflow
        case chat
    }

    public let app: String
    public let name: String
    public let description: String?
    public let mode: Mode
    public let inputs: [InputDeclaration]
    public let environment: [EnvironmentDeclaration]
    /// Variables a chat app keeps from turn to turn (`conversation.NAME`), written by assigner nodes.
    public let conversationVariables: [ConversationVariable]
    public let graph: WorkflowGraph
    public let limits: RunLimits
    public let annotations: AnnotationSettings?
    /// The document as written, without locations: the source of the canonical form. For a Dify DSL, the Loom
    /// document it was mapped onto.
    public let document: Value
    /// What mapping a Dify DSL did; nil for Loom's own format.
    public internal(set) var difyReport: DifyImportReport?

    /// The document as canonical JSON (sorted keys, no spaces): equal workflows give equal text.
    public var canonicalJSON: String { JSONWriter.string(document) }
}

/// A variable of the `conversation` namespace: its type and the value a new conversation starts with.
public struct ConversationVariable: Sendable {
    public var name: String
    public var type: ValueType
    public var defaultValue: Value
    public var description: String?
}

extension Workflow {
    /// The values a run starts with: those `stored` by the conversation's previous turn where they still fit the
    /// declared type, defaults for the rest.
    public func conversationValues(stored: [String: Value]) -> [String: Value] {
        var values: [String: Value] = [:]
        for variable in conversationVariables {
            if let value = stored[variable.name], variable.type.problem(with: value, limits: false) == nil {
                values[variable.name] = value
            } else {
                values[variable.name] = variable.defaultValue
            }
        }
        return values
    }
}

/// A variable of the `env` namespace: a default, overridable by the host environment. `secret` marks values that
/// must not be exported with the workflow.
public struct EnvironmentDeclaration: Sendable {
    public var name: String
    public var defaultValue: String?
    public var secret: Bool
}
