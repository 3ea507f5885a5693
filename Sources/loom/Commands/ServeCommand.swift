import ArgumentParser
import Foundation
import Logging
import LoomServer
import LoomStore
import LoomWorker
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the REST API: migrates DATABASE_URL, then serves until SIGINT/SIGTERM.",
        discussion: "The admin token comes from LOOM_ADMIN_TOKEN; when unset, one is generated, stored (as a hash) and printed once. Limits and timings: see ServerConfiguration (LOOM_* variables).")

    @Option(help: "The port to listen on (default 8080, or LOOM_PORT).")
    var port: Int?

    @Option(help: "The address to listen on (default 127.0.0.1, or LOOM_HOST).")
    var host: String?

    @OptionGroup var models: ModelsOption

    @Option(help: "Bundled inference workers to run (default 1, or LOOM_WORKERS; 0 runs none, for a deployment that uses other model servers).")
    var workers: Int?

    func run() async throws {
        CommandLogging.bootstrap(defaultLevel: .info)
        let environment = ProcessInfo.processInfo.environment
        var configuration = try ServerConfiguration(environment: environment)
        if let port { configuration.port = port }
        if let host { configuration.host = host }
        configuration.migrationsDirectory = DatabaseEnvironment.migrations(configuration.migrationsDirectory)
        let catalog = try models.catalog()
        var database = try DatabaseURL.configuration(try DatabaseEnvironment.configurationURL())
        database.options.minimumConnections = LoomServer.standingDatabaseConnections
        let logger = Logger(label: "loom.server")
        let server = LoomServer(configuration: configuration, catalog: catalog, logger: logger)
        let timeout = environment["LOOM_DB_TIMEOUT_S"].flatMap(Double.init).map { Duration.milliseconds(Int($0 * 1000)) } ?? .seconds(5)
        var pool = WorkerPool.Configuration(environment: environment, executable: WorkerPool.Configuration.currentExecutable)
        if let workers { pool.workers = workers }
        guard pool.workers >= 0 else { throw ValidationError("--workers must be 0 or more") }
        var services: [any Service] = []
        if pool.workers > 0 {
            let workerPool = WorkerPool(configuration: pool, logger: Logger(label: "loom.pool"))
            services.append(LifecycleTask { [pool] in
                try await workerPool.run(onListening: { port in logger.info("inference pool listening", metadata: ["port": "\(port)", "workers": "\(pool.workers)"]) })
            })
        }
        // The database client stays outside the group: it would close on the group's graceful shutdown, while
        // the server still writes its last runs.
        try await Store.with(database, logger: logger, operationTimeout: timeout) { [services] store in
            // SIGINT/SIGTERM shut down the server first (its requests may still use the pool), then the pool;
            // either failing ends both.
            let group = ServiceGroup(
                services: services + [LifecycleTask { try await server.run(store: store) }], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger)
            try await group.run()
        }
    }
}
