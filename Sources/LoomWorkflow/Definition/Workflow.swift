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

/// A variable of the `env` namespace: a default, overridable by the host environment. `secret` marks values that
/// must not be exported with the workflow.
public struct EnvironmentDeclaration: Sendable {
    public var name: String
    public var defaultValue: String?
    public var secret: Bool
}
