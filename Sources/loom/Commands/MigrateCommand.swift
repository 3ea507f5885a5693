import ArgumentParser
import Foundation
import Logging
import LoomStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the SQL files of migrations/ to DATABASE_URL (loom serve also does this on start).")

    @Option(help: "The migrations directory (default: migrations/, or LOOM_MIGRATIONS).")
    var directory: String?

    func run() async throws {
        CommandLogging.bootstrap()
        let configured = directory ?? ProcessInfo.processInfo.environment["LOOM_MIGRATIONS"] ?? "migrations"
        let migrations = try Migration.load(from: DatabaseEnvironment.migrations(configured))
        let database = try DatabaseURL.configuration(try DatabaseEnvironment.configurationURL())
        let applied = try await Store.with(database, logger: Logger(label: "loom.migrate")) { store in
            try await MigrationRunner(client: store.client, logger: store.logger).migrate(migrations)
        }
        print(applied.isEmpty ? "up to date (\(migrations.count) migrations)" : applied.map { "applied \($0)" }.joined(separator: "\n"))
    }
}
