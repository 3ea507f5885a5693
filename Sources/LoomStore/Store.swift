import Logging
import PostgresNIO

/// Loom's PostgreSQL store: one client (a connection pool) and the repositories over it. The owner of the client
/// runs `client.run()` for as long as the store is used.
public struct Store: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public var apps: AppRepository { AppRepository(store: self) }
    public var keys: KeyRepository { KeyRepository(store: self) }
    public var runs: RunRepository { RunRepository(store: self) }
    public var conversations: ConversationRepository { ConversationRepository(store: self) }
    public var servers: ServerRegistry { ServerRegistry(store: self) }
    public var settings: SettingsRepository { SettingsRepository(store: self) }

    /// Runs a store operation, turning connection failures into `StoreError.unavailable`.
    func perform<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Creates the client, runs `body` while the client runs, and shuts it down afterwards.
    public static func with<T: Sendable>(
        _ configuration: PostgresClient.Configuration, logger: Logger, _ body: @Sendable (Store) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(Store(client: client, logger: logger))
        }
    }
}
