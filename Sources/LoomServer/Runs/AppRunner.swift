import Foundation
import Logging
import LoomStore
import LoomWorkflow

/// What a caller asks to run.
struct RunRequest: Sendable {
    var inputs: [String: Value]
    var user: String
    var version: Int?
    var query: String?
    var conversationId: UUID?
    /// Which turn of the conversation this is, 1 for the first.
    var dialogueCount: Int?
    /// `sys.files`: what `files` gave, checked (`GivenFiles`).
    var files: [Value] = []
    var history: [ChatMessage] = []
    /// What the conversation's previous turn left in its conversation variables.
    var conversationVariables: [String: Value] = [:]
    var streaming: Bool

    /// The request as the first turn of the conversation just created for it.
    func firstTurn(of conversation: UUID) -> RunRequest {
        var request = self
        request.conversationId = conversation
        return request
    }
}

/// A run whose workflow is loaded, inputs checked and slot reserved: it will run.
struct PreparedRun: Sendable {
    let id: UUID
    let app: AppAccess
    let version: Int
    let workflow: Workflow
    let inputs: [String: Value]
    let request: RunRequest
    let createdAt: Date
}

/// Runs apps for HTTP callers: loads the version, checks inputs, enforces the per-app limit, executes on the
/// engine, makes the run stoppable from any server, and records it.
final class AppRunner: Sendable {
    let store: Store
    let journal: RunJournal
    let engine: WorkflowEngine
    let workflows: WorkflowCache
    let active: ActiveRuns
    let metrics: ServerMetrics
    let configuration: ServerConfiguration
    let serverId: UUID
    let logger: Logger
    /// Read once: `ProcessInfo.environment` copies the whole environment on every call.
    let environment = ProcessInfo.processInfo.environment

    init(
        store: Store, journal: RunJournal, engine: WorkflowEngine, workflows: WorkflowCache, active: ActiveRuns, metrics: ServerMetrics,
        configuration: ServerConfiguration, serverId: UUID, logger: Logger
    ) {
        self.store = store
        self.journal = journal
        self.engine = engine
        self.workflows = workflows
        self.active = active
        self.metrics = metrics
        self.configuration = configuration
        self.serverId = serverId
        self.logger = logger
    }

    func prepare(_ app: AppAccess, _ request: RunRequest) async throws -> PreparedRun {
        // A run the database cannot record is refused rather than lost.
        guard store.health.isAvailable else {
            throw APIError(.serviceUnavailable, "database_unavailable", "the database is unavailable; retry shortly")
        }
        guard let published = app.publishedVersion else {
            throw APIError(.badRequest, "app_unavailable", "app '\(app.slug)' has no published version yet")
        }
        let version = request.version ?? published
        let workflow = try await workflows.workflow(app: app, version: version)
        let inputs = try workflow.resolveInputs(request.inputs)
        guard active.reserve(app: app.appId) else {
            throw APIError(
                .tooManyRequests, "too_many_requests",
                "app '\(app.slug)' is already running \(active.limitPerApp) runs on this server; retry shortly")
        }
        return PreparedRun(id: .random(), app: app, version: version, workflow: workflow, inputs: inputs, request: request, createdAt: Date())
    }

    /// Executes a prepared run to its end, passing every event on, and records it. Cancelling the calling task
    /// stops the run.
    func execute(_ run: PreparedRun, onEvent: @escaping @Sendable (RunEvent) -> Void) async -> RunResult {
        defer { active.release(app: run.app.appId) }
        let recorder = RunRecorder(metrics: metrics)
        var record = RunRecord(
            id: run.id, appId: run.app.appId, app: run.app.slug, version: run.version, status: RunStatus.running.rawValue,
            inputs: .object(run.inputs), user: run.request.user, conversationId: run.request.conversationId, serverId: serverId,
            createdAt: run.createdAt)
        if run.request.streaming {
            // A streaming client may stop the run by its id at once, from any server: record it before it starts.
            await journal.startNow(record)
        } else {
            journal.began(record)
        }
        let context = RunContext(
            runId: run.id.lowercasedString, appId: run.app.slug, user: run.request.user, query: run.request.query,
            conversationId: run.request.conversationId?.lowercasedString, dialogueCount: run.request.dialogueCount,
            files: run.request.files, startedAt: run.createdAt,
            environment: environment, history: run.request.history, conversationVariables: run.request.conversationVariables)
        let engine = self.engine
        let body: @Sendable () async -> RunResult = {
            do {
                return try await engine.run(run.workflow, inputs: run.inputs, context: context) { event in
                    recorder.observe(event)
                    onEvent(event)
                }
            } catch {
                return RunResult(
                    runId: context.runId, status: .failed, outputs: [:], error: "\(error)", elapsed: .zero, usage: TokenUsage(), steps: 0)
            }
        }
        // A blocking run in which nothing waits ends microseconds later, before a stop could arrive (its caller
        // learns its id with the answer): it runs here rather than in a task of its own.
        let task = !run.request.streaming && run.workflow.graph.runsInline ? nil : Task { await body() }
        if let task { active.register(run.id, app: run.app.appId) { task.cancel() } }
        defer { if task != nil { active.unregister(run.id) } }
        let result = if let task { await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() } } else { await body() }
        record.status = result.status.rawValue
        record.outputs = .object(result.outputs)
        record.error = result.error
        record.totalTokens = result.usage.totalTokens
        record.totalSteps = result.steps
        record.elapsedMilliseconds = result.elapsed.milliseconds
        record.finishedAt = Date()
        if !(await journal.finished(record, nodes: recorder.recorded)) {
            logger.warning("a finished run is not recorded yet; it will be when the database answers", metadata: ["run": "\(record.id)"])
        }
        metrics.run(app: run.app.slug, status: result.status.rawValue)
        return result
    }

    /// Stops a run of `app` here, or announces the stop to the server running it. False when no such run exists.
    func stop(_ runId: UUID, app: AppAccess) async throws -> Bool {
        if active.stop(runId, app: app.appId) { return true }
        guard let run = try await store.runs.find(runId), run.appId == app.appId else { return false }
        if run.status == RunStatus.running.rawValue {
            try await NotificationChannel(NotificationChannel.runStops, store: store).announce(runId.lowercasedString)
        }
        return true
    }
}
