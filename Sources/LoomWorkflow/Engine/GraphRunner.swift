/// Runs one graph — a workflow's, or an iteration's inner graph for one item — to completion. Ready nodes run
/// concurrently as child tasks; all scheduling state lives in this one loop, so no locks guard it.
struct GraphRunner: Sendable {
    let graph: WorkflowGraph
    let coordinator: RunCoordinator
    let iteration: IterationPosition?
    let depth: Int
    /// Declared types of the variables assigners may write here: `conversation`, and enclosing loops'.
    var scopeTypes: [String: [String: ValueType]] = [:]

    struct Outcome: Sendable {
        var pool: VariablePool
        var failure: String?
        var stopped: Bool
        /// Nodes that produced outputs, in the order they finished.
        var finished: [Int]
    }

    func run(_ initial: VariablePool) async -> Outcome {
        var state = State(graph: graph, pool: initial)
        await withTaskGroup(of: NodeRunner.Completion.self) { group in
            var running = 0
            while true {
                while state.failure == nil, !state.stopped, let index = state.nextReady() {
                    if Task.isCancelled {
                        state.stopped = true
                        break
                    }
                    if ContinuousClock.now >= coordinator.deadline {
                        state.failure = coordinator.timeLimitMessage
                        break
                    }
                    guard let step = coordinator.takeStep() else {
                        state.failure = "the run exceeded \(coordinator.limits.maxSteps) node executions (limit max_steps)"
                        break
                    }
                    let spec = graph.nodes[index]
                    let execution = NodeExecution(
                        id: coordinator.executionId(step: step), nodeId: spec.id, nodeType: spec.type, title: spec.title, step: step,
                        iteration: iteration)
                    coordinator.emit(.nodeStarted(execution))
                    let runner = NodeRunner(
                        spec: spec, index: index, execution: execution, coordinator: coordinator, depth: depth, scopeTypes: scopeTypes)
                    // Conversation variables are shared by the whole run: a node sees every write finished before it starts.
                    if let conversation = coordinator.conversationVariables { state.pool.set(conversation, for: VariableNamespace.conversation) }
                    if spec.runsInline {
                        // Pure nodes finish in microseconds and never wait: a task of their own would cost more
                        // than the node itself.
                        state.absorb(await runner.run(state.pool), coordinator)
                    } else {
                        let snapshot = state.pool
                        group.addTask { await runner.run(snapshot) }
                        running += 1
                    }
                }
                if state.failure != nil || state.stopped { group.cancelAll() }
                guard running > 0, let completion = await group.next() else { break }
                running -= 1
                state.absorb(completion, coordinator)
            }
        }
        return Outcome(pool: state.pool, failure: state.failure, stopped: state.stopped && state.failure == nil, finished: state.finished)
    }

    /// Everything the loop above changes as nodes finish.
    private struct State {
        let graph: WorkflowGraph
        var pool: VariablePool
        var tracker: EdgeTracker
        var ready: [Int]
        var cursor = 0
        var failure: String?
        var stopped = false
        var finished: [Int] = []

        init(graph: WorkflowGraph, pool: VariablePool) {
            self.graph = graph
            self.pool = pool
            self.tracker = EdgeTracker(graph: graph)
            self.ready = graph.roots
        }

        mutating func nextReady() -> Int? {
            guard cursor < ready.count else { return nil }
            cursor += 1
            return ready[cursor - 1]
        }

        mutating func absorb(_ completion: NodeRunner.Completion, _ coordinator: RunCoordinator) {
            coordinator.emit(.nodeFinished(completion.execution, completion.outcome))
            let spec = graph.nodes[completion.index]
            switch completion.outcome.status {
            case .succeeded, .exception:
                pool.set(completion.outcome.outputs, for: spec.id)
                for assignment in completion.assignments {
                    if assignment.scope == VariableNamespace.conversation {
                        coordinator.assignConversationVariable(assignment.name, assignment.value)
                    }
                    pool[scope: assignment.scope, default: [:]][assignment.name] = assignment.value
                }
                finished.append(completion.index)
                if let usage = completion.outcome.usage { coordinator.add(usage) }
                if completion.outcome.status == .exception { coordinator.noteException() }
                if failure == nil, !stopped {
                    ready.append(contentsOf: tracker.finish(completion.index, handle: completion.handle))
                }
            case .failed:
                if failure == nil {
                    failure = completion.outcome.errorType == NodeError.runTimeLimitType
                        ? completion.outcome.error
                        : "node '\(spec.id)' (\(spec.type)) failed: \(completion.outcome.error ?? "unknown error")"
                }
            case .stopped, .running:
                stopped = true
            }
        }
    }
}
