import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging

/// The bundled inference pool `loom serve` runs: N `loom worker` processes on ports of their own, kept alive by
/// supervisors, behind one OpenAI-compatible address (`http://127.0.0.1:8700/v1` unless configured otherwise), which
/// is what `models.yaml` points at — the same way it points at vLLM or Ollama.
public struct WorkerPool: Sendable {
    public struct Configuration: Sendable {
        public var workers = 1
        public var host = "127.0.0.1"
        public var port = 8700
        /// Compute threads per worker.
        public var threadsPerWorker = 2
        /// The `loom` executable the workers run.
        public var executable: String
        /// Extra `loom worker` arguments (a registry file, say).
        public var workerArguments: [String] = []
        /// How long a request may wait for a worker that answers.
        public var retryWindow: Duration = .seconds(30)
        public var maxBodyBytes = 4 << 20

        public init(executable: String) {
            self.executable = executable
        }

        /// `LOOM_WORKERS` (1), `LOOM_POOL_PORT` (8700), `LOOM_WORKER_THREADS` (cores ÷ workers, at least 1).
        public init(environment: [String: String], executable: String) {
            self.executable = executable
            let cores = ProcessInfo.processInfo.activeProcessorCount
            workers = environment["LOOM_WORKERS"].flatMap { Int($0) } ?? 1
            port = environment["LOOM_POOL_PORT"].flatMap { Int($0) } ?? port
            threadsPerWorker = environment["LOOM_WORKER_THREADS"].flatMap { Int($0) } ?? max(1, cores / max(1, workers))
        }

        /// The running executable, as the kernel knows it.
        public static var currentExecutable: String {
            let link = "/proc/self/exe"
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: link) { return path }
            return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        }
    }

    public let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts the workers and the router; runs until cancelled or shut down gracefully, then stops the workers.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let slots = try (0..<configuration.workers).map { WorkerSlot(index: $0, port: try Self.freePort()) }
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: .seconds(2))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let router = Router(context: WorkerRequestContext.self)
        router.add(middleware: OpenAIErrorMiddleware(metrics: WorkerMetrics(), logger: logger))
        PoolRouter(slots: slots, client: client, maxBodyBytes: configuration.maxBodyBytes, retryWindow: configuration.retryWindow, logger: logger)
            .register(on: router)
        let application = Application(
            router: router, configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Loom pool"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        do {
            try await serve(application, slots: slots, client: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
    }

    private func serve(_ application: some ApplicationProtocol, slots: [WorkerSlot], client: HTTPClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slot in slots {
                let arguments = ["worker", "--port", String(slot.port), "--threads", String(configuration.threadsPerWorker), "--parent", String(getpid())]
                let supervisor = WorkerSupervisor(
                    slot: slot, executable: configuration.executable, arguments: arguments + configuration.workerArguments, client: client, logger: logger)
                group.addTask { await supervisor.run() }
            }
            group.addTask { try await application.run() }
            // Supervisors run until cancelled: the router ends first (a graceful shutdown, once its requests are
            // answered), and the workers stop with it.
            try await group.next()
            group.cancelAll()
        }
    }

    /// A port nobody listens on now; the worker binds it a moment later.
    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
