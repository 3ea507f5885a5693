/// Runs one node execution: timeout, retries with their events, the output size limit, and the error strategy.
struct NodeRunner: Sendable {
    let spec: NodeSpec
    let index: Int
    let execution: NodeExecution
    let coordinator: RunCoordinator
    let depth: Int
    let scopeTypes: [String: [String: ValueType]]

    struct Completion: Sendable {
        var index: Int
        var execution: NodeExecution
        var outcome: NodeOutcome
        /// The handle whose edges are taken.
        var handle: String
        var assignments: [VariableAssignment] = []
    }

    func run(_ pool: VariablePool) async -> Completion {
        let started = ContinuousClock.now
        let context = NodeContext(execution: execution, pool: pool, coordinator: coordinator, depth: depth, scopeTypes: scopeTypes)
        var retries = 0
        while true {
            do {
                let result = try await attempt(context)
                try checkSizes(result.outputs)
                var done = completion(
                    .succeeded, result.outputs, inputs: result.inputs, handle: result.handle, usage: result.usage, started: started,
                    retries: retries)
                done.assignments = result.assignments
                return done
            } catch {
                if Task.isCancelled || error is CancellationError || (error as? ModelError) == .cancelled {
                    return completion(.stopped, [:], error: "stopped", handle: EdgeHandle.source, started: started, retries: retries)
                }
                let failure = NodeError.from(error)
                if case .runTimeLimit = failure {
                    // The run is over: no retry, and no error strategy can continue it.
                    return completion(.failed, [:], error: failure.description, errorType: failure.type, handle: EdgeHandle.source, started: started, retries: retries)
                }
                if let retry = spec.policy.retry, retries < retry.maxRetries, failure.isRetryable {
                    retries += 1
                    coordinator.emit(.nodeRetry(execution, attempt: retries, error: failure.description))
                    do {
                        try await Task.sleep(for: retry.interval)
                    } catch {
                        return completion(.stopped, [:], error: "stopped", handle: EdgeHandle.source, started: started, retries: retries)
                    }
                    continue
                }
                return handle(failure, pool: pool, started: started, retries: retries)
            }
        }
    }

    private func attempt(_ context: NodeContext) async throws -> NodeResult {
        let behavior = spec.behavior
        if type(of: behavior).runsInstantly && spec.policy.timeout == nil {
            return try await behavior.run(context)
        }
        let remaining = max(coordinator.deadline - .now, .zero)
        let limit = min(spec.policy.timeout ?? remaining, remaining)
        return try await withThrowingTaskGroup(of: NodeResult?.self) { group in
            group.addTask { try await behavior.run(context) }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                if limit == remaining && spec.policy.timeout.map({ $0 >= remaining }) != false {
                    throw NodeError.runTimeLimit(coordinator.timeLimitMessage)
                }
                throw NodeError.timedOut(limit)
            }
            return result
        }
    }

    private func checkSizes(_ outputs: [String: Value]) throws(NodeError) {
        let limit = coordinator.limits.maxVariableBytes
        for (name, value) in outputs {
            let size = value.approximateSize
            if size > limit { throw NodeError.outputTooLarge(output: name, bytes: size, limit: limit) }
        }
    }

    private func handle(_ failure: NodeError, pool: VariablePool, started: ContinuousClock.Instant, retries: Int) -> Completion {
        let errorOutputs: [String: Value] = ["error_message": .string(failure.description), "error_type": .string(failure.type)]
        switch spec.policy.onError {
        case .fail:
            return completion(.failed, [:], error: failure.description, errorType: failure.type, handle: EdgeHandle.source, started: started, retries: retries)
        case .defaultValue(let defaults):
            let outputs = defaults.mapValues { $0.evaluate(pool) }.merging(errorOutputs) { value, _ in value }
            return completion(
                .exception, outputs, error: failure.description, errorType: failure.type, handle: spec.behavior.handle(forDefault: outputs),
                started: started, retries: retries)
        case .branch:
            return completion(
                .exception, errorOutputs, error: failure.description, errorType: failure.type, handle: EdgeHandle.failBranch, started: started,
                retries: retries)
        }
    }

    private func completion(
        _ status: NodeStatus, _ outputs: [String: Value], inputs: [String: Value] = [:], error: String? = nil, errorType: String? = nil,
        handle: String, usage: TokenUsage? = nil, started: ContinuousClock.Instant, retries: Int
    ) -> Completion {
        let outcome = NodeOutcome(
            status: status, inputs: inputs, outputs: outputs, error: error, errorType: errorType, elapsed: .now - started, usage: usage,
            retries: retries)
        return Completion(index: index, execution: execution, outcome: outcome, handle: handle)
    }
}

extension NodeError {
    /// Errors that a second attempt cannot fix are not retried.
    var isRetryable: Bool {
        switch self {
        case .outputTooLarge, .invalidValue, .notMapped, .serviceUnavailable: return false
        case .model(.unknownModel): return false
        case .http(.forbiddenAddress), .http(.invalidURL): return false
        default: return true
        }
    }
}
