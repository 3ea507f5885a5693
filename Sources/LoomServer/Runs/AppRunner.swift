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
    var history: [ChatMessage] = []
    var streaming: Bool
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
    let engine: WorkflowEngine
    let workflows: WorkflowCache
    let active: ActiveRuns
    let metrics: ServerMetrics
    let configuration: ServerConfiguration
    let serverId: UUID
    let logger: Logger

    init(
        store: Store, engine: WorkflowEngine, workflows: WorkflowCache, active: ActiveRuns, metrics: ServerMetrics,
        configuration: ServerConfiguration, serverId: UUID, logger: Logger
    ) {
        self.store = store
        self.engine = engine
        self.workflows = workflows
        self.active = active
        self.metrics = metrics
        self.configuration = configuration
        self.serverId = serverId
        self.logger = logger
    }

    func prepare(_ app: AppAccess, _ request: RunRequest) async throws -> PreparedRun {
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
        return PreparedRun(id: UUID(), app: app, version: version, workflow: workflow, inputs: inputs, request: request, createdAt: Date())
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
            await recordStart(record)
        }
        let context = RunContext(
            runId: run.id.uuidString.lowercased(), appId: run.app.slug, user: run.request.user, query: run.request.query,
            conversationId: run.request.conversationId?.uuidString.lowercased(), startedAt: run.createdAt,
            environment: ProcessInfo.processInfo.environment, history: run.request.history)
        let engine = self.engine
        let task = Task {
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
        active.register(run.id, app: run.app.appId) { task.cancel() }
        defer { active.unregister(run.id) }
        let result = await withTaskGroup(of: Void.self) { group in
            if !run.request.streaming {
                let started = record
                group.addTask {
                    // Runs that end quickly are written once, at the end; longer ones become visible as running.
                    guard (try? await Task.sleep(for: self.configuration.checkpointAfter)) != nil else { return }
                    await self.recordStart(started)
                }
            }
            let result = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
            group.cancelAll()
            return result
        }
        record.status = result.status.rawValue
        record.outputs = .object(result.outputs)
        record.error = result.error
        record.totalTokens = result.usage.totalTokens
        record.totalSteps = result.steps
        record.elapsedMilliseconds = result.elapsed.milliseconds
        record.finishedAt = Date()
        await recordFinish(record, nodes: recorder.recorded)
        metrics.run(app: run.app.slug, status: result.status.rawValue)
        return result
    }

    private func recordStart(_ record: RunRecord) async {
        do {
            try await store.runs.start(record)
        } catch {
            logger.warning("could not record a run's start", metadata: ["run": "\(record.id)", "error": "\(error)"])
        }
    }

    /// Writes the finished run, retrying while the database is briefly away (a restart).
    private func recordFinish(_ record: RunRecord, nodes: [NodeRunRecord]) async {
        var delay: Duration = .milliseconds(200)
        for attempt in 1...6 {
            do {
                try await store.runs.finish(record, nodes: nodes)
                return
            } catch {
                logger.warning("could not record a finished run", metadata: ["run": "\(record.id)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        logger.error("gave up recording a finished run", metadata: ["run": "\(record.id)", "status": "\(record.status)"])
    }

    /// Stops a run of `app` here, or announces the stop to the server running it. False when no such run exists.
    func stop(_ runId: UUID, app: AppAccess) async throws -> Bool {
        if active.stop(runId, app: app.appId) { return true }
        guard let run = try await store.runs.find(runId), run.appId == app.appId else { return false }
        if run.status == RunStatus.running.rawValue {
            try await RunStopChannel(store: store).announce(runId)
        }
        return true
    }
}
