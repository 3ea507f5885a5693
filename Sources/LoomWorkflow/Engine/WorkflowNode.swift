/// A node type: how it reads its YAML and what it does when it runs. The engine knows nodes only through
/// this protocol; a node reaches models, HTTP and tools through the services in its context.
public protocol WorkflowNode: Sendable {
    /// The `type:` value in YAML.
    static var typeName: String { get }
    /// Keys this type accepts besides the common ones (`id`, `type`, `title`, `next`, `retry`, `timeout_s`,
    /// `on_error`). Any other key is an error.
    static var configKeys: [String] { get }
    /// Pure, quick nodes skip the timeout machinery; they cannot hang.
    static var runsInstantly: Bool { get }
    /// Reads the node's configuration; reports problems on the reader and returns nil when it cannot continue.
    static func decode(_ reader: NodeReader) -> Self?

    /// Output names readers may reference; nil when the set is open.
    var outputNames: [String]? { get }
    /// Handles this node's outgoing edges may leave through.
    var handles: [String] { get }
    /// The graph run inside this node (iteration), with the names it adds to its own id inside that graph.
    var innerGraph: InnerGraph? { get }

    func run(_ context: NodeContext) async throws -> NodeResult
    /// The handle taken when `on_error: {default: …}` stands in for the node's outputs.
    func handle(forDefault outputs: [String: Value]) -> String
}

extension WorkflowNode {
    public static var runsInstantly: Bool { false }
    public var handles: [String] { [EdgeHandle.source] }
    public var innerGraph: InnerGraph? { nil }
    public func handle(forDefault outputs: [String: Value]) -> String { EdgeHandle.source }
}

/// A sub-graph a node runs, and the outputs of the node visible inside it (`each.item`, `each.index`); those an
/// assigner inside may write (a loop's variables).
public struct InnerGraph: Sendable {
    public var graph: WorkflowGraph
    public var innerOutputs: [String]
    public var writableOutputs: [String] = []
}

/// What a node produced.
public struct NodeResult: Sendable {
    public var outputs: [String: Value]
    /// The handle whose edges are taken; all others are skipped.
    public var handle: String
    /// What the node read, as it will be shown in events and run records.
    public var inputs: [String: Value]
    public var usage: TokenUsage?
    /// Writes to conversation or loop variables, applied when the node succeeds.
    public var assignments: [VariableAssignment]

    public init(
        outputs: [String: Value], handle: String = EdgeHandle.source, inputs: [String: Value] = [:], usage: TokenUsage? = nil,
        assignments: [VariableAssignment] = []
    ) {
        self.outputs = outputs
        self.handle = handle
        self.inputs = inputs
        self.usage = usage
        self.assignments = assignments
    }
}
