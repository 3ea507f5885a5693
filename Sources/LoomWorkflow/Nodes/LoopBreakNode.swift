/// Inside a loop's nodes: when it runs, the loop ends after the current round (Dify's loop-end).
public struct LoopBreakNode: WorkflowNode {
    public static let typeName = "break"
    public static let configKeys: [String] = []
    public static let runsInstantly = true

    public static func decode(_ reader: NodeReader) -> LoopBreakNode? { LoopBreakNode() }

    public var outputNames: [String]? { [] }

    public func run(_ context: NodeContext) async throws -> NodeResult { NodeResult(outputs: [:]) }
}
