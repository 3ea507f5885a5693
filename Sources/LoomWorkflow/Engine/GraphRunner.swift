import Foundation

/// Runs one graph — a workflow's, or an iteration's inner graph for one item — to completion. Ready nodes run
/// concurrently as child tasks; all scheduling state lives in this one loop, so no locks guard it.
struct GraphRunner: Sendable {
    let graph: WorkflowGraph
    let coordinator: RunCoordinator
    let iteration: IterationPosition?
    let depth: Int

    struct Outcome: Sendable {
        var pool: VariablePool
        var failure: String?
        var stopped: Bool
        /// Nodes that produced outputs, in the order they finished.
        var finished: [Int]
    }

    func run(_ initial: VariablePool) async -> Outcome {
        var pool = initial
        var tracker = EdgeTracker(graph: graph)
        var ready = graph.roots
        var cursor = 0
        var failure: String?
        var stopped = false
        var finished: [Int] = []

        await withTaskGroup(of: NodeRunner.Completion.self) { group in
            var running = 0
            while true {
                while failure == nil, !stopped, cursor < ready.count {
                    if Task.isCancelled {
                        stopped = true
                        break
                    }
                    let index = ready[cursor]
                    cursor += 1
                    guard let step = coordinator.takeStep() else {
                        failure = "the run exceeded \(coordinator.limits.maxSteps) node executions (limit max_steps)"
                        break
                    }
                    let spec = graph.nodes[index]
                    let execution = NodeExecution(
                        id: UUID().uuidString.lowercased(), nodeId: spec.id, nodeType: spec.type, title: spec.title, step: step,
                        iteration: iteration)
                    coordinator.emit(.nodeStarted(execution))
                    let runner = NodeRunner(spec: spec, index: index, execution: execution, coordinator: coordinator, depth: depth)
                    let snapshot = pool
                    group.addTask { await runner.run(snapshot) }
                    running += 1
                }
                if failure != nil || stopped { group.cancelAll() }
                guard running > 0, let completion = await group.next() else { break }
                running -= 1
                coordinator.emit(.nodeFinished(completion.execution, completion.outcome))
                let spec = graph.nodes[completion.index]
                switch completion.outcome.status {
                case .succeeded, .exception:
                    pool.set(completion.outcome.outputs, for: spec.id)
                    finished.append(completion.index)
                    if let usage = completion.outcome.usage { coordinator.add(usage) }
                    if completion.outcome.status == .exception { coordinator.noteException() }
                    if failure == nil, !stopped {
                        ready.append(contentsOf: tracker.finish(completion.index, handle: completion.handle))
                    }
                case .failed:
                    if failure == nil {
                        failure = "node '\(spec.id)' (\(spec.type)) failed: \(completion.outcome.error ?? "unknown error")"
                    }
                case .stopped, .running:
                    stopped = true
                }
            }
        }
        return Outcome(pool: pool, failure: failure, stopped: stopped && failure == nil, finished: finished)
    }
}
