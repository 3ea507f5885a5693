import ArgumentParser
import Foundation
import Logging
import LoomServer
import LoomStore

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

    func run() async throws {
        CommandLogging.bootstrap(defaultLevel: .info)
        let environment = ProcessInfo.processInfo.environment
        var configuration = try ServerConfiguration(environment: environment)
        if let port { configuration.port = port }
        if let host { configuration.host = host }
        configuration.migrationsDirectory = DatabaseEnvironment.migrations(configuration.migrationsDirectory)
        let catalog = try models.catalog()
        let database = try DatabaseURL.configuration(try DatabaseEnvironment.configurationURL())
        let logger = Logger(label: "loom.server")
        let server = LoomServer(configuration: configuration, catalog: catalog, logger: logger)
        let timeout = environment["LOOM_DB_TIMEOUT_S"].flatMap(Double.init).map { Duration.milliseconds(Int($0 * 1000)) } ?? .seconds(5)
        try await Store.with(database, logger: logger, operationTimeout: timeout) { store in
            try await server.run(store: store)
        }
    }
}
