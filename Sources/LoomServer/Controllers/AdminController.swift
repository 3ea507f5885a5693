import Foundation
import Hummingbird
import LoomConnectors
import LoomStore
import LoomWorkflow

/// The admin API (admin token): apps and versions, keys, runs, models — what the `loom` CLI talks to.
struct AdminController: Sendable {
    let auth: Authenticator
    let changes: AccessChanges
    let store: Store
    let loader: WorkflowLoader
    let models: OpenAICompatibleProvider
    let configuration: ServerConfiguration
    let service: ServiceAPIController
    let chat: ChatController

    private func slug(_ context: LoomRequestContext) throws -> String {
        guard let slug = context.parameters.get("app") else { throw APIError.notFound("no app in the path") }
        return slug
    }

    static func app(_ app: AppRecord) -> Value {
        [
            "slug": .string(app.slug), "name": .string(app.name), "mode": .string(app.mode), "description": app.description.map(Value.string) ?? .null,
            "draft_version": app.draftVersion.map(Value.int) ?? .null, "published_version": app.publishedVersion.map(Value.int) ?? .null,
            "created_at": RunPresentation.seconds(app.createdAt), "updated_at": RunPresentation.seconds(app.updatedAt),
        ]
    }

    static func version(_ version: VersionRecord) -> Value {
        var fields: [String: Value] = [
            "number": .int(version.number), "sha256": .string(version.sha256), "author": .string(version.author), "message": .string(version.message),
            "format": .string(version.format), "created_at": RunPresentation.seconds(version.createdAt),
        ]
        if let source = version.source { fields["source"] = .string(source) }
        if let canonical = version.canonicalJSON { fields["canonical_json"] = (try? JSONDocumentReader.parse(canonical).value) ?? .null }
        return .object(fields)
    }

    /// Creates the app or a new draft version from YAML or JSON; `?publish=true` also publishes it.
    func deploy(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let text = try await request.text(limit: configuration.maxBodyBytes)
        var source = text
        var options: [String: Value] = [:]
        if request.headers[.contentType]?.hasPrefix("application/json") == true,
            let wrapper = (try? JSONDocumentReader.parse(text))?.value.objectValue, let inner = wrapper["source"]?.stringValue
        {
            source = inner
            options = wrapper
        }
        let option = { (name: String) in options[name]?.text ?? request.query(name) }
        let file = option("file") ?? "workflow.yaml"
        // Datasets are checked as they are at deploy time: a workflow naming one that does not exist is refused.
        var loader = self.loader
        loader.datasets = Dictionary(
            try await store.datasets.list().map { ($0.name, KnownDataset(kind: $0.kind, latestVersion: $0.latestVersion)) }, uniquingKeysWith: { first, _ in first })
        if let mapping = options["dify_mapping"] {
            let names = { (key: String) in mapping.objectValue?[key].map { $0.objectValue?.values.allSatisfy { $0.stringValue != nil } == true } ?? true }
            guard mapping.objectValue != nil, names("models"), names("datasets") else {
                throw APIError.invalidParam("dify_mapping must be {models: {DIFY_MODEL: loom-model}, datasets: {DIFY_ID: loom-dataset}}")
            }
            loader.difyMapping = loader.difyMapping.merging(DifyMapping(value: mapping))
        }
        let (submission, workflow) = try WorkflowDeployment.submission(
            text: source, file: file, author: option("author") ?? "admin", message: option("message") ?? "", loader: loader)
        let result = try await store.apps.deploy(submission)
        var app = result.app
        let publish = option("publish") == "true"
        if publish { app = try await store.apps.publish(app.slug, version: result.version, by: option("author") ?? "admin") }
        await changes.appChanged(app.id)
        var answer: [String: Value] = ["app": Self.app(app), "version": .int(result.version), "created": .bool(result.created), "published": .bool(publish)]
        if let report = workflow.difyReport { answer["dify_import"] = report.value }
        return JSONResponse.make(.object(answer), status: result.created ? .created : .ok)
    }

    func list(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        return JSONResponse.make(["data": .array(try await store.apps.list().map(Self.app))])
    }

    func show(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let app = try await store.apps.get(try slug(context))
        var fields = Self.app(app).objectValue!
        fields["versions"] = .array(try await store.apps.versions(app.slug).map(Self.version))
        return JSONResponse.make(.object(fields))
    }

    func delete(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let app = try await store.apps.get(try slug(context))
        try await store.apps.delete(app.slug)
        await changes.appChanged(app.id)
        return Response(status: .noContent)
    }

    func versions(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        return JSONResponse.make(["data": .array(try await store.apps.versions(try slug(context)).map(Self.version))])
    }

    func version(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        guard let number = context.parameters.get("version").flatMap(Int.init) else { throw APIError.invalidParam("the version must be a number") }
        return JSONResponse.make(Self.version(try await store.apps.version(try slug(context), number)))
    }

    func publish(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        let version = try ServiceAPIController.version(body)
        let app = try await store.apps.publish(try slug(context), version: version, by: try body.text("author") ?? "admin")
        await changes.appChanged(app.id)
        return JSONResponse.make(Self.app(app))
    }

    func rollback(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let app = try await store.apps.rollback(try slug(context))
        await changes.appChanged(app.id)
        return JSONResponse.make(Self.app(app))
    }

    /// `?from=A&to=B` (numbers; `to` defaults to the draft).
    func diff(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let slug = try slug(context)
        let app = try await store.apps.get(slug)
        guard let from = request.query("from").flatMap(Int.init) else { throw APIError.invalidParam("pass ?from=VERSION&to=VERSION") }
        guard let to = request.query("to").flatMap(Int.init) ?? app.draftVersion else { throw APIError.invalidParam("pass ?to=VERSION") }
        let old = try await store.apps.version(slug, from)
        let new = try await store.apps.version(slug, to)
        let parse = { (text: String?) in text.flatMap { try? JSONDocumentReader.parse($0).value } ?? .null }
        let diff = WorkflowDiff(old: parse(old.canonicalJSON), new: parse(new.canonicalJSON), oldSource: old.source ?? "", newSource: new.source ?? "")
        let strings = { (names: [String]) in Value.array(names.map(Value.string)) }
        return JSONResponse.make([
            "app": .string(slug), "from": .int(from), "to": .int(to), "added_nodes": strings(diff.addedNodes),
            "removed_nodes": strings(diff.removedNodes), "changed_nodes": strings(diff.changedNodes), "changed_settings": strings(diff.changedSettings),
            "diff": .string(diff.unified()),
        ])
    }

    func createKey(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        let (record, secret) = try await store.keys.create(app: try slug(context), name: try body.text("name") ?? "")
        var fields = Self.key(record).objectValue!
        fields["key"] = .string(secret)
        return JSONResponse.make(.object(fields), status: .created)
    }

    func createDatasetKey(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        let (record, secret) = try await store.keys.createDatasetKey(name: try body.text("name") ?? "")
        var fields = Self.key(record).objectValue!
        fields["key"] = .string(secret)
        return JSONResponse.make(.object(fields), status: .created)
    }

    static func key(_ key: APIKeyRecord) -> Value {
        [
            "id": .string(key.id.lowercasedString), "app": .string(key.app), "prefix": .string(key.prefix), "name": .string(key.name),
            "created_at": RunPresentation.seconds(key.createdAt), "revoked_at": RunPresentation.seconds(key.revokedAt),
        ]
    }

    func keys(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        return JSONResponse.make(["data": .array(try await store.keys.list(app: request.query("app")).map(Self.key))])
    }

    func revokeKey(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw APIError.notFound("no such key") }
        try await store.keys.revoke(id)
        await changes.keyRevoked(id)
        return Response(status: .noContent)
    }

    /// `?app=&status=&since=&until=&limit=` (times as ISO 8601 or Unix seconds).
    func runs(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        func date(_ name: String) throws -> Date? {
            guard let text = request.query(name) else { return nil }
            if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
            guard let date = ISO8601DateFormatter().date(from: text) else { throw APIError.invalidParam("'\(name)' must be ISO 8601 or Unix seconds") }
            return date
        }
        let statuses = RunStatus.allNames
        if let status = request.query("status"), !statuses.contains(status) {
            throw APIError.invalidParam("'status' must be one of \(statuses.joined(separator: ", "))")
        }
        let query = RunQuery(
            app: request.query("app"), status: request.query("status"), since: try date("since"), until: try date("until"),
            limit: Int(request.query("limit") ?? "") ?? 20)
        return JSONResponse.make(["data": .array(try await store.runs.list(query).map(RunPresentation.detail))])
    }

    func runDetail(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let id = try ServiceAPIController.uuid(context.parameters.get("id"), what: "run")
        guard let run = try await store.runs.find(id) else { throw APIError.notFound("no run \(id.lowercasedString)") }
        var fields = RunPresentation.detail(run).objectValue!
        fields["node_runs"] = .array(try await store.runs.nodes(of: id).map(RunPresentation.node))
        return JSONResponse.make(.object(fields))
    }

    func modelHealth(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        return JSONResponse.make(["data": .array(await models.health().map(Self.health))])
    }

    static func health(_ health: ModelHealth) -> Value {
        [
            "name": .string(health.name), "base_url": .string(health.baseURL), "model": .string(health.model), "reachable": .bool(health.reachable),
            "detail": .string(health.detail), "latency_ms": health.latency.map { .double($0.milliseconds) } ?? .null,
        ]
    }

    /// Runs an app with the admin token (what `loom call` uses): the Service API's run, any mode.
    func call(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await auth.adminActingAs(request, slug: try slug(context))
        return app.mode == Workflow.Mode.chat.rawValue ? try await chat.send(request, context, app: app) : try await service.runWorkflow(request, context, app: app)
    }
}

extension RunStatus {
    static let allNames = ["running", "succeeded", "failed", "stopped", "partial-succeeded"]
}
