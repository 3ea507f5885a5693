/// Optional explicit start: outputs the run's inputs under its own id (as Dify's start node does).
public struct StartNode: WorkflowNode {
    public static let typeName = "start"
    public static let configKeys: [String] = []
    public static let runsInstantly = true

    public static func decode(_ reader: NodeReader) -> StartNode? { StartNode() }

    public var outputNames: [String]? { nil }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        NodeResult(outputs: context.pool[scope: VariableNamespace.inputs] ?? [:])
    }
}
