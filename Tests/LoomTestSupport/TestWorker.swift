import AsyncHTTPClient
import Logging
import LoomInference
import LoomWorker

/// A `loom worker` in the test process on a free port, serving the bundled models the registry names (all, or
/// those `serving` picks).
public enum TestWorker {
    public static func registry() throws -> ModelRegistry {
        try ModelRegistry.load(file: LoomProcess.root.appendingPathComponent("deploy/worker-models.json").path)
    }

    public static func with<T: Sendable>(
        registry base: ModelRegistry? = nil, configure: (inout WorkerServer.Configuration) -> Void = { _ in },
        serving: (ModelRegistry.Entry) -> Bool = { _ in true },
        _ body: (_ baseURL: String, _ client: HTTPClient, _ server: WorkerServer) async throws -> T
    ) async throws -> T {
        var configuration = WorkerServer.Configuration()
        configuration.port = 0
        configuration.threads = 2
        configure(&configuration)
        var registry = try base ?? registry()
        registry.entries = registry.entries.filter(serving)
        let server = try WorkerServer(configuration: configuration, registry: registry, logger: Logger(label: "test.worker"))
        return try await ListeningService.with({ try await server.run(handleSignals: false, onListening: $0) }) { port, client in
            try await body("http://127.0.0.1:\(port)", client, server)
        }
    }
}
