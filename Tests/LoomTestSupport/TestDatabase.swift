import Foundation
import Logging
import LoomStore
import PostgresNIO

/// A fresh, migrated database for each test on the PostgreSQL cluster the test command starts
/// (`LOOM_TEST_DATABASE_URL`), so PostgreSQL tests run in parallel without seeing each other.
public enum TestDatabase {
    /// A store operation's limit in tests: generous, because every suite creates databases and runs at once on two
    /// cores (5 s, the production default, timed out under that load). Fault tests set their own.
    public static let operationTimeout: Duration = .seconds(30)

    public static let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("migrations").path

    public static var clusterURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["LOOM_TEST_DATABASE_URL"], !url.isEmpty else {
                throw StoreError.invalidConfiguration(
                    "LOOM_TEST_DATABASE_URL is not set: run the tests with ./deploy/test, which starts a PostgreSQL cluster for them")
            }
            return url
        }
    }

    /// Creates an empty database and returns its URL.
    public static func create() async throws -> String {
        let base = try clusterURL
        let name = "loom_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await Store.with(try DatabaseURL.configuration(base), logger: Logger(label: "loom.test"), operationTimeout: operationTimeout) { store in
            try await store.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        var components = URLComponents(string: base)!
        components.path = "/\(name)"
        return components.string!
    }

    /// Runs `body` with a store on a new, migrated database.
    public static func withStore<T: Sendable>(migrated: Bool = true, _ body: @Sendable (Store) async throws -> T) async throws -> T {
        let url = try await create()
        return try await Store.with(try DatabaseURL.configuration(url), logger: Logger(label: "loom.test"), operationTimeout: operationTimeout) { store in
            if migrated {
                try await MigrationRunner(client: store.client, logger: store.logger).migrate(try Migration.load(from: migrations))
            }
            return try await body(store)
        }
    }
}
