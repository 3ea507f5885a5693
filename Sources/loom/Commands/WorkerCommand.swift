import ArgumentParser
import Foundation
import Logging
import LoomInference
import LoomStore
import LoomWorker

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve the bundled models over an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models).",
        discussion: """
            Serves every installed model of the registry (LOOM_WORKER_MODELS, default deploy/worker-models.json) from LOOM_HOME/models, and \
            fine-tuned adapters from LOOM_HOME/adapters. Batch and queue sizes: LOOM_WORKER_MAX_BATCH (8), LOOM_WORKER_MAX_WAITING (32). With \
            DATABASE_URL set, the worker also claims and runs fine-tune jobs (LOOM_FINETUNE_THREADS compute threads, default the worker's), \
            writing checkpoints under LOOM_HOME/checkpoints.
            """)

    @Option(help: "The port to listen on (default 8701, or LOOM_WORKER_PORT).")
    var port: Int?

    @Option(help: "The address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Compute threads (default min(2, cores), or LOOM_WORKER_THREADS).")
    var threads: Int?

    @Option(help: "The model registry (default: $LOOM_WORKER_MODELS or deploy/worker-models.json).")
    var registry: String?

    @Option(help: "Exit when this process (the pool that started the worker) is gone.")
    var parent: Int32?

    @Flag(help: "Do not run fine-tune jobs even with DATABASE_URL set.")
    var noFineTune = false

    func run() async throws {
        CommandLogging.bootstrap(defaultLevel: .info)
        let environment = ProcessInfo.processInfo.environment
        var configuration = WorkerServer.Configuration(environment: environment)
        configuration.port = port ?? environment["LOOM_WORKER_PORT"].flatMap { Int($0) } ?? configuration.port
        if let host { configuration.host = host }
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
            configuration.threads = threads
        }
        let logger = Logger(label: "loom.worker")
        let models = try ModelRegistry.load(file: registry)
        let server = try WorkerServer(configuration: configuration, registry: models, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(onListening: { port in logger.info("worker listening", metadata: ["port": "\(port)"]) }) }
            if !noFineTune, let url = environment["DATABASE_URL"], !url.isEmpty {
                let database = try DatabaseURL.configuration(url)
                let runner = FineTuneJobRunner.Configuration(threads: environment["LOOM_FINETUNE_THREADS"].flatMap { Int($0) } ?? configuration.threads)
                group.addTask {
                    try await Store.with(database, logger: logger) { store in
                        await FineTuneJobRunner(store: store, registry: models, configuration: runner, logger: logger).run()
                    }
                }
            }
            if let parent {
                group.addTask {
                    // Orphaned workers would hold their port and memory after a pool that was killed outright.
                    while getppid() == parent { try await Task.sleep(for: .seconds(1)) }
                    logger.warning("the pool that started this worker is gone; stopping")
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
