import Foundation
import Hummingbird
import Logging
import LoomInference

/// `loom worker`: the OpenAI-compatible API over the registry's installed models, on one port.
public struct WorkerServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8701
        /// Compute threads of the forward passes (and OpenBLAS's, which run inside them).
        public var threads = 2
        public var limits = BatchScheduler.Limits()
        public var maxBodyBytes = 4 << 20

        public init() {}

        /// `LOOM_WORKER_THREADS`, `LOOM_WORKER_MAX_BATCH`, `LOOM_WORKER_MAX_WAITING`, `LOOM_WORKER_MAX_BODY_BYTES`.
        public init(environment: [String: String]) {
            let number = { (name: String) in environment[name].flatMap { Int($0) } }
            threads = number("LOOM_WORKER_THREADS") ?? min(2, ProcessInfo.processInfo.activeProcessorCount)
            limits = BatchScheduler.Limits(
                maxBatch: number("LOOM_WORKER_MAX_BATCH") ?? limits.maxBatch, maxWaiting: number("LOOM_WORKER_MAX_WAITING") ?? limits.maxWaiting)
            maxBodyBytes = number("LOOM_WORKER_MAX_BODY_BYTES") ?? maxBodyBytes
        }
    }

    public let configuration: Configuration
    public let models: WorkerModels
    let logger: Logger

    public init(configuration: Configuration, registry: ModelRegistry, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        models = try WorkerModels(registry: registry, threads: configuration.threads, limits: configuration.limits, logger: logger)
    }

    /// Serves until SIGINT/SIGTERM (or, with `handleSignals: false`, until the task is cancelled).
    public func run(handleSignals: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let metrics = WorkerMetrics()
        let router = Router(context: WorkerRequestContext.self)
        router.add(middleware: OpenAIErrorMiddleware(metrics: metrics, logger: logger))
        WorkerController(models: models, metrics: metrics, maxBodyBytes: configuration.maxBodyBytes).register(on: router)
        let application = Application(
            router: router, configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Loom worker"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        defer { models.shutdown() }
        if handleSignals {
            try await application.runService()
        } else {
            try await application.run()
        }
    }
}

/// Every failure answers in OpenAI's error shape; every request is counted by route and status.
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = WorkerRequestContext
    let metrics: WorkerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = context.endpointPath ?? "unmatched"
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as OpenAIError {
            response = error.response
        } catch let error as HTTPError where error.status == .notFound {
            response = OpenAIError(status: .notFound, message: "No route \(request.method) \(request.uri.path)", type: "invalid_request_error", param: nil, code: nil).response
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = OpenAIError(status: .internalServerError, message: "\(error)", type: "server_error", param: nil, code: nil).response
        }
        metrics.request(route: context.endpointPath ?? route, status: response.status.code)
        return response
    }
}
