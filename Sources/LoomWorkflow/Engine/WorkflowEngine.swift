import Foundation

/// Runs workflows. Holds no per-run state: each `run` call is one run, owned by the caller's task, so cancelling
/// that task stops the run and every node in it.
public struct WorkflowEngine: Sendable {
    public var services: EngineServices
    /// The operator's limits; a workflow may only lower them.
    public var limits: RunLimits

    public init(services: EngineServices = EngineServices(), limits: RunLimits = .default) {
        self.services = services
        self.limits = limits
    }

    /// Checks the inputs, runs the workflow, and reports every event to `onEvent` as it happens.
    /// Throws only when the inputs are rejected; a run that fails returns a result with status `failed`.
    public func run(
        _ workflow: Workflow, inputs: [String: Value], context: RunContext = RunContext(),
        onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }
    ) async throws(InputError) -> RunResult {
        let resolvedInputs = try workflow.resolveInputs(inputs)
        let limits = workflow.limits.capped(by: self.limits)
        let conversation = workflow.conversationVariables.isEmpty ? nil : workflow.conversationValues(stored: context.conversationVariables)
        let coordinator = RunCoordinator(
            context: context, services: services, limits: limits, streamRoutes: StreamPlanner.routes(for: workflow.graph),
            conversation: conversation, sink: onEvent)
        let started = ContinuousClock.now
        coordinator.emit(.workflowStarted(inputs: resolvedInputs))

        var pool = VariablePool()
        pool.set(resolvedInputs, for: VariableNamespace.inputs)
        pool.set(systemVariables(context, workflow: workflow), for: VariableNamespace.sys)
        pool.set(environmentVariables(context, workflow: workflow), for: VariableNamespace.env)

        let types = Dictionary(workflow.conversationVariables.map { ($0.name, $0.type) }) { first, _ in first }
        let runner = GraphRunner(
            graph: workflow.graph, coordinator: coordinator, iteration: nil, depth: 0,
            scopeTypes: types.isEmpty ? [:] : [VariableNamespace.conversation: types])
        // The time limit needs no timer of its own: waiting nodes get the remaining time as their timeout, and no
        // node starts after the deadline.
        let outcome = await runner.run(pool)

        var result = RunResult(
            runId: context.runId, status: .succeeded, outputs: [:], error: nil, elapsed: .now - started, usage: coordinator.totalUsage,
            steps: coordinator.stepCount)
        result.outputs = Self.outputs(of: workflow.graph, outcome)
        result.conversationVariables = coordinator.conversationVariables
        if let failure = outcome.failure {
            result.status = .failed
            result.error = failure
        } else if outcome.stopped || Task.isCancelled {
            result.status = .stopped
            result.error = "the run was stopped"
        } else if coordinator.hadExceptions {
            result.status = .partialSucceeded
        }
        coordinator.emit(.workflowFinished(result))
        services.logger.log(
            level: result.status == .failed ? .warning : .debug, "run finished",
            metadata: [
                "run_id": "\(context.runId)", "app": "\(workflow.app)", "status": "\(result.status.rawValue)", "steps": "\(result.steps)",
                "error": "\(result.error ?? "")",
            ])
        return result
    }

    /// The run's outputs: those of every end node that ran, in the order they finished; with answer nodes,
    /// their text joined as `answer` unless an end node names that output itself.
    static func outputs(of graph: WorkflowGraph, _ outcome: GraphRunner.Outcome) -> [String: Value] {
        var outputs: [String: Value] = [:]
        var answer: String?
        for index in outcome.finished {
            let node = graph.nodes[index]
            guard let values = outcome.pool[scope: node.id] else { continue }
            if node.behavior is EndNode {
                outputs.merge(values) { _, new in new }
            } else if node.behavior is AnswerNode, let text = values["answer"]?.text {
                answer = (answer ?? "") + text
            }
        }
        if let answer, outputs["answer"] == nil { outputs["answer"] = .string(answer) }
        return outputs
    }

    private func systemVariables(_ context: RunContext, workflow: Workflow) -> [String: Value] {
        let timestamp = Value.int(Int(context.startedAt.timeIntervalSince1970))
        let app = Value.string(context.appId ?? workflow.app)
        let optional: (String?) -> Value = { $0.map(Value.string) ?? .null }
        return [
            "run_id": .string(context.runId), "workflow_run_id": .string(context.runId), "app": app, "app_id": app,
            "workflow_id": .string(workflow.app), "user": .string(context.user), "user_id": .string(context.user),
            "timestamp": timestamp, "query": optional(context.query), "conversation_id": optional(context.conversationId),
            "dialogue_count": context.dialogueCount.map(Value.int) ?? .null, "files": .array(context.files),
        ]
    }

    private func environmentVariables(_ context: RunContext, workflow: Workflow) -> [String: Value] {
        var values: [String: Value] = [:]
        for declaration in workflow.environment {
            if let value = context.environment[declaration.name] ?? declaration.defaultValue {
                values[declaration.name] = .string(value)
            }
        }
        return values
    }
}
