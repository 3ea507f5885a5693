import Hummingbird
import LoomConnectors
import LoomStore
import LoomWorkflow
import NIOCore

/// Health, metrics and the API description; no token needed.
struct OperationsController: Sendable {
    let store: Store
    let models: OpenAICompatibleProvider
    let vectorSearch: VectorSearch
    let metrics: ServerMetrics
    let openAPI: @Sendable () -> Value

    /// 200 while the database answers (models may be down: `degraded`), 503 when it does not.
    func health(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        async let modelHealth = models.health(timeout: .seconds(1))
        var database: [String: Value] = ["ok": true]
        do {
            try await store.ping()
        } catch {
            database = ["ok": false, "detail": .string("\(error)")]
        }
        if database["ok"] == true, let pgvector = try? await store.datasets.pgvector() {
            // Whether `LOOM_VECTOR_SEARCH=pgvector` could work here (docs/operations.md); `vector_search` says what runs.
            database["pgvector"] = .string(pgvector.state + (pgvector.version.map { " " + $0 } ?? ""))
        }
        let modelStates = await modelHealth
        let databaseUp = database["ok"] == true
        let status = !databaseUp ? "unavailable" : modelStates.allSatisfy(\.reachable) ? "ok" : "degraded"
        return JSONResponse.make(
            [
                "status": .string(status), "database": .object(database), "vector_search": .string(vectorSearch.description),
                "models": .array(modelStates.map(AdminController.health)),
            ],
            status: databaseUp ? .ok : .serviceUnavailable)
    }

    func prometheus(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text())))
    }

    func document(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        JSONResponse.make(openAPI())
    }
}
