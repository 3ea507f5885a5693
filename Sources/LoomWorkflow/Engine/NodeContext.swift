/// What a running node sees: the variables at its start, the services, and ways to report progress.
public struct NodeContext: Sendable {
    public let execution: NodeExecution
    public let pool: VariablePool
    let coordinator: RunCoordinator
    let depth: Int
    /// Declared types of the variables an assigner may write from here.
    let scopeTypes: [String: [String: ValueType]]

    public var services: EngineServices { coordinator.services }
    public var run: RunContext { coordinator.context }
    public var limits: RunLimits { coordinator.limits }
    public var nodeId: String { execution.nodeId }

    /// Reports generated text as it is produced (an llm's tokens).
    public func partialText(_ text: String, output: String) {
        coordinator.partialText(text, node: execution.nodeId, output: output, iteration: execution.iteration)
    }

    /// Sends an answer node's text to the client's stream.
    public func answerText(_ text: String) {
        coordinator.answerText(text, node: execution.nodeId)
    }

    public func emit(_ kind: RunEvent.Kind) {
        coordinator.emit(kind)
    }

    /// The declared type of a variable an assigner may write (`conversation.NAME`, `LOOP.NAME`).
    public func declaredType(of path: VariablePath) -> ValueType? {
        path.output.flatMap { scopeTypes[path.root]?[$0] }
    }

    /// Runs a node's inner graph once (one iteration item, one loop round) with extra outputs under the node's own
    /// id; `types` declares those an assigner inside may write.
    public func runInnerGraph(
        _ inner: InnerGraph, scope: [String: Value], index: Int, types: [String: ValueType] = [:]
    ) async -> InnerGraphOutcome {
        guard depth < limits.maxDepth else {
            return InnerGraphOutcome(pool: pool, error: "iterations nested deeper than \(limits.maxDepth) levels", stopped: false)
        }
        var base = pool
        base.set(scope, for: execution.nodeId)
        var innerTypes = scopeTypes
        innerTypes[execution.nodeId] = types.isEmpty ? nil : types
        let runner = GraphRunner(
            graph: inner.graph, coordinator: coordinator,
            iteration: IterationPosition(nodeId: execution.nodeId, index: index, isLoop: execution.nodeType == LoopNode.typeName),
            depth: depth + 1, scopeTypes: innerTypes)
        let outcome = await runner.run(base)
        return InnerGraphOutcome(pool: outcome.pool, error: outcome.failure, stopped: outcome.stopped)
    }
}

public struct InnerGraphOutcome: Sendable {
    public var pool: VariablePool
    /// Why the inner run failed, if it did.
    public var error: String?
    public var stopped: Bool
}
