import Foundation
import LoomStore
import LoomWorkflow
import Synchronization

/// Collects a run's node executions from its events, for the one write at the end.
final class RunRecorder: Sendable {
    private let nodes = Mutex<[NodeRunRecord]>([])
    private let metrics: ServerMetrics

    init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    func observe(_ event: RunEvent) {
        guard case .nodeFinished(let execution, let outcome) = event.kind else { return }
        metrics.node(type: execution.nodeType, status: outcome.status.rawValue, duration: outcome.elapsed)
        let record = NodeRunRecord(
            id: execution.id, nodeId: execution.nodeId, nodeType: execution.nodeType, title: execution.title ?? execution.nodeId,
            step: execution.step, status: outcome.status.rawValue, inputs: .object(outcome.inputs), outputs: .object(outcome.outputs),
            error: outcome.error, retries: outcome.retries, elapsedMilliseconds: outcome.elapsed.milliseconds,
            totalTokens: outcome.usage?.totalTokens ?? 0, iterationId: execution.iteration?.nodeId, iterationIndex: execution.iteration?.index,
            finishedAt: event.at)
        nodes.withLock { $0.append(record) }
    }

    var recorded: [NodeRunRecord] { nodes.withLock { $0 } }
}
