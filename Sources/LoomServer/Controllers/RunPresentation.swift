import Foundation
import LoomStore
import LoomWorkflow

/// Dify's shapes for runs, so existing Service API clients read Loom's answers unchanged.
enum RunPresentation {
    static func seconds(_ date: Date?) -> Value {
        date.map { .int(Int($0.timeIntervalSince1970)) } ?? .null
    }

    /// The blocking answer of `POST /v1/workflows/run`.
    static func blocking(_ run: PreparedRun, _ result: RunResult) -> Value {
        let id = Value.string(run.id.lowercasedString)
        return [
            "workflow_run_id": id, "task_id": id,
            "data": [
                "id": id, "workflow_id": .string(run.app.slug), "version": .int(run.version), "status": .string(result.status.rawValue),
                "outputs": .object(result.outputs), "error": result.error.map(Value.string) ?? .null,
                "elapsed_time": .double(result.elapsed.seconds), "total_tokens": .int(result.usage.totalTokens),
                "total_steps": .int(result.steps), "created_at": seconds(run.createdAt), "finished_at": seconds(Date()),
            ],
        ]
    }

    /// `GET /v1/workflows/run/{id}` and the admin run list.
    static func detail(_ run: RunRecord) -> Value {
        [
            "id": .string(run.id.lowercasedString), "workflow_id": .string(run.app), "version": .int(run.version),
            "status": .string(run.status), "inputs": run.inputs, "outputs": run.outputs ?? .null, "error": run.error.map(Value.string) ?? .null,
            "user": .string(run.user), "total_steps": .int(run.totalSteps), "total_tokens": .int(run.totalTokens),
            "elapsed_time": run.elapsedMilliseconds.map { .double($0 / 1000) } ?? .null, "created_at": seconds(run.createdAt),
            "finished_at": seconds(run.finishedAt),
            "conversation_id": run.conversationId.map { .string($0.lowercasedString) } ?? .null,
        ]
    }

    static func node(_ node: NodeRunRecord) -> Value {
        [
            "id": .string(node.id), "node_id": .string(node.nodeId), "node_type": .string(node.nodeType), "title": .string(node.title),
            "index": .int(node.step), "status": .string(node.status), "inputs": node.inputs, "outputs": node.outputs,
            "error": node.error.map(Value.string) ?? .null, "retries": .int(node.retries), "elapsed_time": .double(node.elapsedMilliseconds / 1000),
            "total_tokens": .int(node.totalTokens), "iteration_id": node.iterationId.map(Value.string) ?? .null,
            "iteration_index": node.iterationIndex.map(Value.int) ?? .null, "finished_at": seconds(node.finishedAt),
        ]
    }
}
