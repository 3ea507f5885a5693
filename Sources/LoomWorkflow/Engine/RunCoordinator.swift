import Synchronization

/// State one run shares between its concurrently running nodes: the event sink, the step count, token usage,
/// and text already streamed to answers.
final class RunCoordinator: Sendable {
    let context: RunContext
    let services: EngineServices
    let limits: RunLimits
    let deadline: ContinuousClock.Instant
    private let sink: @Sendable (RunEvent) -> Void
    private let streamRoutes: [String: StreamRoute]
    private let steps = Atomic<Int>(0)
    private let usage = Mutex(TokenUsage())
    private let streamed = Mutex<[String: String]>([:])
    private let exceptions = Atomic<Int>(0)
    /// The conversation variables' current values; nil when the workflow declares none.
    private let conversation: Mutex<[String: Value]?>

    init(
        context: RunContext, services: EngineServices, limits: RunLimits, streamRoutes: [String: StreamRoute],
        conversation: [String: Value]?, sink: @escaping @Sendable (RunEvent) -> Void
    ) {
        self.conversation = Mutex(conversation)
        self.context = context
        self.services = services
        self.limits = limits
        self.deadline = .now + limits.maxDuration
        self.streamRoutes = streamRoutes
        self.sink = sink
    }

    var runId: String { context.runId }

    var conversationVariables: [String: Value]? { conversation.withLock { $0 } }

    func assignConversationVariable(_ name: String, _ value: Value) {
        conversation.withLock { $0?[name] = value }
    }

    var timeLimitMessage: String {
        "the run exceeded its time limit of \(JSONWriter.format(limits.maxDuration.seconds)) s (limit max_seconds)"
    }

    /// A unique id for the execution numbered `step`: the run's UUID with its last group replaced by the step,
    /// so ids cost no random numbers and sort by step within a run.
    func executionId(step: Int) -> String {
        let runId = context.runId
        guard runId.utf8.count == 36 else { return "\(runId)-\(String(step, radix: 16))" }
        guard step >= 0, step < 1 << 48 else { return runId.prefix(24) + String(step, radix: 16) }
        // Written in place: slicing, padding and joining strings was 1% of a small run's time.
        return String(unsafeUninitializedCapacity: 36) { buffer in
            for (index, byte) in runId.utf8.prefix(24).enumerated() { buffer[index] = byte }
            var rest = step
            for index in (24..<36).reversed() {
                buffer[index] = Hex.digits[rest & 0xF]
                rest >>= 4
            }
            return 36
        }
    }

    func emit(_ kind: RunEvent.Kind) {
        sink(RunEvent(runId: context.runId, kind: kind))
    }

    /// Counts one node execution; nil when the run's step limit is reached.
    func takeStep() -> Int? {
        let step = steps.wrappingAdd(1, ordering: .relaxed).newValue
        return step <= limits.maxSteps ? step : nil
    }

    var stepCount: Int { min(steps.load(ordering: .relaxed), limits.maxSteps) }

    func add(_ tokens: TokenUsage) {
        usage.withLock { $0 = $0 + tokens }
    }

    var totalUsage: TokenUsage { usage.withLock { $0 } }

    func noteException() {
        exceptions.wrappingAdd(1, ordering: .relaxed)
    }

    var hadExceptions: Bool { exceptions.load(ordering: .relaxed) > 0 }

    /// A piece of a node's output as it is generated. It becomes a `text_chunk` only when an answer node shows
    /// that output: chunks of hidden outputs (a classifier's reasoning, a draft that a template rewrites) stay inside.
    func partialText(_ text: String, node: String, output: String, iteration: IterationPosition?) {
        guard iteration == nil, let route = streamRoutes[node], route.output == output else { return }
        let prefix: String? = streamed.withLock { streamed in
            let isFirst = streamed[route.answerNode] == nil
            streamed[route.answerNode, default: route.prefix] += text
            return isFirst ? route.prefix : nil
        }
        if let prefix, !prefix.isEmpty {
            emit(.textChunk(text: prefix, from: VariablePath([route.answerNode, "answer"])))
        }
        emit(.textChunk(text: text, from: VariablePath([node, output])))
    }

    /// An answer node's whole text; what was streamed ahead of it is not sent again.
    func answerText(_ text: String, node: String) {
        let already = streamed.withLock { $0[node] } ?? ""
        let rest = text.hasPrefix(already) ? String(text.dropFirst(already.count)) : text
        if !rest.isEmpty {
            emit(.textChunk(text: rest, from: VariablePath([node, "answer"])))
        }
    }
}

/// An llm output that an answer node shows first: its chunks stream to the client as they are generated.
struct StreamRoute: Sendable {
    var answerNode: String
    var output: String
    /// Literal text of the answer before the streamed variable.
    var prefix: String
}
