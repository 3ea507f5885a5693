import CoreMetrics
import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// Loom's metrics through swift-metrics, kept in this server's own Prometheus registry (so several servers in
/// one process, as in tests, keep separate counts) and served at `/metrics`.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let activeStreams: CoreMetrics.Meter

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
            .milliseconds(500), .seconds(2), .seconds(10), .seconds(60),
        ]
        self.factory = factory
        self.activeStreams = CoreMetrics.Meter(label: "loom_active_streams", factory: factory)
    }

    private struct RequestKey: Hashable { var method: String, route: String, status: Int }
    private struct StatusKey: Hashable { var name: String, status: String }
    private let requests = HandleCache<RequestKey, (count: CoreMetrics.Counter, duration: CoreMetrics.Timer)>()
    private let runs = HandleCache<StatusKey, CoreMetrics.Counter>()
    private let nodes = HandleCache<StatusKey, CoreMetrics.Timer>()

    func request(method: String, route: String, status: Int, duration: Duration) {
        let handles = requests.handle(RequestKey(method: method, route: route, status: status)) {
            (
                CoreMetrics.Counter(
                    label: "loom_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))],
                    factory: factory),
                CoreMetrics.Timer(label: "loom_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            )
        }
        handles.count.increment()
        handles.duration.recordNanoseconds(duration.nanoseconds)
    }

    func run(app: String, status: String) {
        runs.handle(StatusKey(name: app, status: status)) {
            CoreMetrics.Counter(label: "loom_runs_total", dimensions: [("app", app), ("status", status)], factory: factory)
        }.increment()
    }

    func node(type: String, status: String, duration: Duration) {
        nodes.handle(StatusKey(name: type, status: status)) {
            CoreMetrics.Timer(label: "loom_node_duration_seconds", dimensions: [("type", type), ("status", status)], factory: factory)
        }.recordNanoseconds(duration.nanoseconds)
    }

    func streamOpened() { activeStreams.increment(by: 1) }
    func streamClosed() { activeStreams.decrement(by: 1) }

    func text() -> String { registry.emitToString() }
}

/// Metric handles by their dimensions, made once: making one asks the Prometheus registry (a lock, name checks and
/// a lookup by label strings), which was a few percent of a run's time when done for every request and node.
private final class HandleCache<Key: Hashable & Sendable, Handle: Sendable>: Sendable {
    private let handles = Mutex<[Key: Handle]>([:])

    func handle(_ key: Key, make: () -> Handle) -> Handle {
        handles.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make()
            handles[key] = handle
            return handle
        }
    }
}

/// Counts every request by route pattern and status.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = LoomRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code, duration: .now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status, duration: .now - started)
            throw error
        }
    }
}

/// Turns anything a handler throws into Loom's `{code, message, status}` answer.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = LoomRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let answer = APIError.from(error)
            if answer.status.code >= 500 {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return JSONResponse.make(answer.body, status: answer.status)
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }

    var milliseconds: Double { Double(nanoseconds) / 1e6 }
}
