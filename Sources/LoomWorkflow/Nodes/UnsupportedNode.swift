/// Stands where an imported app had a node Loom cannot run (a Dify plugin tool, an agent): the app loads, and
/// running this node fails it with the reason, so its error strategy applies.
public struct UnsupportedNode: WorkflowNode {
    public static let typeName = "unsupported"
    public static let configKeys = ["dify_type", "reason"]

    public let difyType: String
    public let reason: String

    public static func decode(_ reader: NodeReader) -> UnsupportedNode? {
        UnsupportedNode(difyType: reader.string("dify_type") ?? "unknown", reason: reader.string("reason") ?? "this node has no Loom equivalent")
    }

    /// Readers of its outputs load; what they read is whatever its error strategy supplies.
    public var outputNames: [String]? { nil }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        throw NodeError.notMapped("this \(difyType) node was not mapped from Dify: \(reason)")
    }
}
