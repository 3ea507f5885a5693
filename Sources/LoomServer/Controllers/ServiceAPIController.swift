import Foundation
import Hummingbird
import LoomStore
import LoomWorkflow

/// Dify's Service API for callers with an app key: run workflows (blocking or streaming), look runs up, stop
/// them, and chat. Every route also answers under `/apps/{app}/v1/…`, a base URL per app.
struct ServiceAPIController: Sendable {
    let auth: Authenticator
    let runner: AppRunner
    let store: Store
    let configuration: ServerConfiguration
    let metrics: ServerMetrics

    private func access(_ request: Request, _ context: LoomRequestContext) async throws -> AppAccess {
        try await auth.app(request, slug: context.parameters.get("app"))
    }

    static func responseMode(_ body: [String: Value]) throws -> Bool {
        switch try body.text("response_mode") ?? "blocking" {
        case "blocking": return false
        case "streaming": return true
        case let other: throw APIError.invalidParam("'response_mode' must be blocking or streaming, got '\(other)'")
        }
    }

    static func version(_ body: [String: Value]) throws -> Int? {
        switch body["version"] {
        case nil, .null?: return nil
        case .int(let number)? where number > 0: return number
        case let other?: throw APIError.invalidParam("'version' must be a positive whole number, got \(other)")
        }
    }

    func runWorkflow(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await runWorkflow(request, context, app: try await access(request, context))
    }

    func runWorkflow(_ request: Request, _ context: LoomRequestContext, app: AppAccess) async throws -> Response {
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        let streaming = try Self.responseMode(body)
        let run = RunRequest(
            inputs: try body.object("inputs"), user: try body.text("user") ?? "anonymous", version: try Self.version(body), files: try body.files(),
            streaming: streaming)
        let prepared = try await runner.prepare(app, run)
        guard prepared.workflow.mode == .workflow else {
            runner.active.release(app: app.appId)
            throw APIError(.badRequest, "not_workflow_app", "app '\(app.slug)' is a chat app: send messages to /v1/chat-messages")
        }
        if !streaming {
            let result = await runner.execute(prepared) { _ in }
            return JSONResponse.make(RunPresentation.blocking(prepared, result))
        }
        let runner = self.runner
        let policy = configuration.onDisconnect
        return ServerSentEvents.response(context: context, pingInterval: configuration.pingInterval, metrics: metrics) {
            if policy == .cancel { runner.active.stop(prepared.id) }
        } produce: { emit in
            _ = await runner.execute(prepared) { event in emit(event.envelope) }
        }
    }

    func run(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await access(request, context)
        let id = try Self.uuid(context.parameters.get("id"), what: "run")
        guard let run = try await store.runs.find(id), run.appId == app.appId else { throw APIError.notFound("no run \(id.lowercasedString) in app '\(app.slug)'") }
        return JSONResponse.make(RunPresentation.detail(run))
    }

    func stop(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await access(request, context)
        let id = try Self.uuid(context.parameters.get("id"), what: "task")
        guard try await runner.stop(id, app: app) else { throw APIError.notFound("no task \(id.lowercasedString) in app '\(app.slug)'") }
        return JSONResponse.make(["result": "success"])
    }

    static func uuid(_ text: String?, what: String) throws -> UUID {
        guard let text, let id = UUID(uuidString: text) else { throw APIError.notFound("no \(what) '\(text ?? "")'") }
        return id
    }

    func info(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await access(request, context)
        let record = try await store.apps.get(app.slug)
        return JSONResponse.make([
            "slug": .string(record.slug), "name": .string(record.name), "description": record.description.map(Value.string) ?? .null,
            "mode": .string(record.mode),
            "version": record.publishedVersion.map(Value.int) ?? .null,
        ])
    }

    /// The published version's inputs, as Dify's `user_input_form`.
    func parameters(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await access(request, context)
        guard let version = app.publishedVersion else { throw APIError(.badRequest, "app_unavailable", "app '\(app.slug)' has no published version yet") }
        let workflow = try await runner.workflows.workflow(app: app, version: version)
        let form: [Value] = workflow.inputs.map { input in
            let control: String
            switch input.kind {
            case .text: control = "text-input"
            case .paragraph: control = "paragraph"
            case .select: control = "select"
            case .number: control = "number"
            case .boolean: control = "checkbox"
            case .json: control = "json"
            }
            return [
                control: [
                    "variable": .string(input.name), "label": .string(input.label ?? input.name), "required": .bool(input.required),
                    "default": input.defaultValue ?? .null, "max_length": input.maxLength.map(Value.int) ?? .null,
                    "options": .array(input.options.map(Value.string)),
                ]
            ]
        }
        return JSONResponse.make(["user_input_form": .array(form)])
    }
}
