import Foundation
import Logging
import LoomStore
import PostgresNIO

/// A fresh, migrated database for each test on the PostgreSQL cluster the test command starts
/// (`LOOM_TEST_DATABASE_URL`, or the pgvector one), so PostgreSQL tests run in parallel without seeing each other.
public enum TestDatabase {
    /// A store operation's limit in tests: generous, because every suite creates databases and runs at once on two
    /// cores (5 s, the production default, timed out under that load). Fault tests set their own.
    public static let operationTimeout: Duration = .seconds(30)

    public static let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("migrations").path

    /// The clusters the test command starts: Debian's PostgreSQL, and one with pgvector (`deploy/pgvector`).
    public enum Cluster: String, Sendable {
        case main = "LOOM_TEST_DATABASE_URL"
        case pgvector = "LOOM_TEST_PGVECTOR_URL"

        public var url: String {
            get throws {
                guard let url = ProcessInfo.processInfo.environment[rawValue], !url.isEmpty else {
                    throw StoreError.invalidConfiguration("\(rawValue) is not set: run the tests with ./deploy/test, which starts the PostgreSQL clusters for them")
                }
                return url
            }
        }
    }

    /// Creates an empty database and returns its URL.
    public static func create(on cluster: Cluster = .main) async throws -> String {
        let base = try cluster.url
        let name = "loom_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await Store.with(try DatabaseURL.configuration(base), logger: Logger(label: "loom.test"), operationTimeout: operationTimeout) { store in
            try await store.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        var components = URLComponents(string: base)!
        components.path = "/\(name)"
        return components.string!
    }

    /// Runs `body` with a store on a new, migrated database.
    public static func withStore<T: Sendable>(
        on cluster: Cluster = .main, migrated: Bool = true, operationTimeout: Duration = operationTimeout, _ body: @Sendable (Store) async throws -> T
    ) async throws -> T {
        let url = try await create(on: cluster)
        return try await Store.with(try DatabaseURL.configuration(url), logger: Logger(label: "loom.test"), operationTimeout: operationTimeout) { store in
            if migrated {
                try await MigrationRunner(client: store.client, logger: store.logger).migrate(try Migration.load(from: migrations))
            }
            return try await body(store)
        }
    }
}
