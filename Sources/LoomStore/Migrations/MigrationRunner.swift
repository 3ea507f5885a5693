import Logging
import PostgresNIO

/// Applies migrations in order, each in its own transaction, and records them with their checksums. A session
/// advisory lock makes concurrent runners (several servers starting at once) take turns.
public struct MigrationRunner: Sendable {
    /// Arbitrary, fixed: the key of Loom's migration lock.
    static let lockKey: Int64 = 0x4C6F_6F6D_4D69_67

    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Applies what is missing; returns the names applied now.
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [String] {
        do {
            return try await client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
                do {
                    let applied = try await apply(migrations, on: connection)
                    try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    return applied
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    throw error
                }
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS loom_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var recorded: [Int: (name: String, checksum: String)] = [:]
        for try await (version, name, checksum) in try await connection.query(
            "SELECT version, name, checksum FROM loom_migrations", logger: logger
        ).decode((Int, String, String).self) {
            recorded[version] = (name, checksum)
        }
        let known = Set(migrations.map(\.version))
        if let unknown = recorded.keys.sorted().first(where: { !known.contains($0) }) {
            throw StoreError.migration(
                "the database has migration \(recorded[unknown]!.name), which this Loom does not have: it was migrated by a newer Loom")
        }
        var appliedNow: [String] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            if let existing = recorded[migration.version] {
                guard existing.checksum == migration.checksum else {
                    throw StoreError.migration(
                        "migration \(migration.name) changed after it was applied (checksum \(existing.checksum.prefix(12))… in the database, \(migration.checksum.prefix(12))… on disk); restore it and add a new migration instead")
                }
                continue
            }
            try await connection.withTransaction(logger: logger) { transaction in
                for (number, statement) in SQLStatementSplitter.split(migration.sql).enumerated() {
                    do {
                        try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch let error as PSQLError {
                        let reason = error.serverInfo?[.message] ?? "\(error.code)"
                        throw StoreError.migration("\(migration.name), statement \(number + 1): \(reason)")
                    }
                }
                try await transaction.query(
                    "INSERT INTO loom_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            appliedNow.append(migration.name)
        }
        return appliedNow
    }
}
