import Foundation

/// Something that happened in a run. `name` and `payload` follow Dify's SSE events, so clients built for
/// Dify's Service API read Loom's stream unchanged.
public struct RunEvent: Sendable {
    public enum Kind: Sendable {
        case workflowStarted(inputs: [String: Value])
        case nodeStarted(NodeExecution)
        case nodeFinished(NodeExecution, NodeOutcome)
        case nodeRetry(NodeExecution, attempt: Int, error: String)
        case textChunk(text: String, from: VariablePath)
        case iterationStarted(NodeExecution, count: Int)
        case iterationNext(NodeExecution, index: Int)
        case iterationCompleted(NodeExecution, count: Int, status: NodeStatus)
        /// An agent's step (Dify's `agent_log`).
        case agentLog(NodeExecution, AgentStep)
        case workflowFinished(RunResult)
    }

    public var runId: String
    public var kind: Kind
    public var at: Date

    public init(runId: String, kind: Kind, at: Date = Date()) {
        self.runId = runId
        self.kind = kind
        self.at = at
    }

    /// Dify's event name.
    public var name: String {
        switch kind {
        case .workflowStarted: return "workflow_started"
        case .nodeStarted: return "node_started"
        case .nodeFinished: return "node_finished"
        case .nodeRetry: return "node_retry"
        case .textChunk: return "text_chunk"
        case .iterationStarted(let execution, _): return execution.containerEvent("started")
        case .iterationNext(let execution, _): return execution.containerEvent("next")
        case .iterationCompleted(let execution, _, _): return execution.containerEvent("completed")
        case .agentLog: return "agent_log"
        case .workflowFinished: return "workflow_finished"
        }
    }

    /// The event's `data` object.
    public var payload: Value {
        let timestamp = Value.int(Int(at.timeIntervalSince1970))
        switch kind {
        case .workflowStarted(let inputs):
            return ["id": .string(runId), "inputs": .object(inputs), "created_at": timestamp]
        case .nodeStarted(let execution):
            return .object(execution.fields.merging(["created_at": timestamp]) { $1 })
        case .nodeFinished(let execution, let outcome):
            var fields = execution.fields
            fields["status"] = .string(outcome.status.rawValue)
            fields["inputs"] = .object(outcome.inputs)
            fields["outputs"] = .object(outcome.outputs)
            fields["error"] = outcome.error.map(Value.string) ?? .null
            fields["elapsed_time"] = .double(outcome.elapsed.seconds)
            fields["retry_count"] = .int(outcome.retries)
            fields["execution_metadata"] = outcome.usage.map { usage in
                ["total_tokens": .int(usage.totalTokens), "prompt_tokens": .int(usage.promptTokens),
                 "completion_tokens": .int(usage.completionTokens)]
            } ?? .object([:])
            fields["finished_at"] = timestamp
            return .object(fields)
        case .nodeRetry(let execution, let attempt, let error):
            var fields = execution.fields
            fields["retry_index"] = .int(attempt)
            fields["error"] = .string(error)
            fields["created_at"] = timestamp
            return .object(fields)
        case .textChunk(let text, let from):
            return ["text": .string(text), "from_variable_selector": .array(from.segments.map(Value.string))]
        case .iterationStarted(let execution, let count):
            var fields = execution.fields
            fields["inputs"] = [execution.nodeType == LoopNode.typeName ? "loop_count" : "iterator_length": .int(count)]
            fields["created_at"] = timestamp
            return .object(fields)
        case .iterationNext(let execution, let index):
            var fields = execution.fields
            fields["index"] = .int(index)
            return .object(fields)
        case .iterationCompleted(let execution, let count, let status):
            var fields = execution.fields
            fields["status"] = .string(status.rawValue)
            fields["steps"] = .int(count)
            fields["finished_at"] = timestamp
            return .object(fields)
        case .agentLog(let execution, let step):
            return [
                "node_execution_id": .string(execution.id), "node_id": .string(execution.nodeId), "round": .int(step.round),
                "label": .string(step.label), "status": .string(step.status), "data": step.data, "created_at": timestamp,
            ]
        case .workflowFinished(let result):
            return [
                "id": .string(runId), "status": .string(result.status.rawValue), "outputs": .object(result.outputs),
                "error": result.error.map(Value.string) ?? .null, "elapsed_time": .double(result.elapsed.seconds),
                "total_tokens": .int(result.usage.totalTokens), "total_steps": .int(result.steps),
                "finished_at": timestamp,
            ]
        }
    }

    /// The whole SSE frame body: `{event, workflow_run_id, task_id, data}`.
    public var envelope: Value {
        ["event": .string(name), "workflow_run_id": .string(runId), "task_id": .string(runId), "data": payload]
    }
}

/// One execution of a node, as events name it.
public struct NodeExecution: Sendable {
    /// Unique per execution (a node inside an iteration runs once per item).
    public var id: String
    public var nodeId: String
    public var nodeType: String
    public var title: String?
    /// Position among the run's node executions, from 1.
    public var step: Int
    public var iteration: IterationPosition?

    /// `iteration_started`, or for a loop node Dify's `loop_started` (and `_next`, `_completed`).
    func containerEvent(_ stage: String) -> String {
        (nodeType == LoopNode.typeName ? "loop_" : "iteration_") + stage
    }

    var fields: [String: Value] {
        var fields: [String: Value] = [
            "id": .string(id), "node_id": .string(nodeId), "node_type": .string(nodeType),
            "title": .string(title ?? nodeId), "index": .int(step),
        ]
        if let iteration {
            let prefix = iteration.isLoop ? "loop" : "iteration"
            fields["\(prefix)_id"] = .string(iteration.nodeId)
            fields["\(prefix)_index"] = .int(iteration.index)
        }
        return fields
    }
}

/// Where inside an iteration (or a loop: the round) an execution happens.
public struct IterationPosition: Sendable, Hashable {
    public var nodeId: String
    public var index: Int
    public var isLoop = false
}

/// How a node execution ended.
public struct NodeOutcome: Sendable {
    public var status: NodeStatus
    public var inputs: [String: Value]
    public var outputs: [String: Value]
    public var error: String?
    public var errorType: String?
    public var elapsed: Duration
    public var usage: TokenUsage?
    public var retries: Int
}

extension Duration {
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
