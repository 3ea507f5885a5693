import Logging
import PostgresNIO
import Synchronization

/// Loom's PostgreSQL store: one client (a connection pool) and the repositories over it. Its owner runs `run()`
/// (the client and the operations' deadlines) for as long as the store is used; `with` does.
public struct Store: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// How long one operation may wait, connection included: while the database is down the pool keeps trying to
    /// connect and would hold requests forever.
    public var operationTimeout: Duration
    /// Whether the last operation reached the database; callers refuse new work while it did not.
    public let health: DatabaseHealth
    private let deadlines = OperationDeadlines()

    public init(client: PostgresClient, logger: Logger, operationTimeout: Duration = .seconds(5)) {
        self.client = client
        self.logger = logger
        self.operationTimeout = operationTimeout
        health = DatabaseHealth(logger: logger)
    }

    public var apps: AppRepository { AppRepository(store: self) }
    public var keys: KeyRepository { KeyRepository(store: self) }
    public var runs: RunRepository { RunRepository(store: self) }
    public var conversations: ConversationRepository { ConversationRepository(store: self) }
    public var servers: ServerRegistry { ServerRegistry(store: self) }
    public var settings: SettingsRepository { SettingsRepository(store: self) }
    public var samples: SampleRepository { SampleRepository(store: self) }
    public var datasets: DatasetRepository { DatasetRepository(store: self) }
    public var jobs: JobRepository { JobRepository(store: self) }
    public var uploads: UploadRepository { UploadRepository(store: self) }
    public var fineTunes: FineTuneRepository { FineTuneRepository(store: self) }

    /// Runs a store operation within `operationTimeout`, turning connection failures into `StoreError.unavailable`.
    /// At the deadline the caller gets its answer even if the operation does not yet respond to cancellation (a
    /// query on a connection the database dropped); the operation is cancelled and finishes on its own.
    func perform<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = operationTimeout
        let outcome = Deadline<T>()
        let operation = Task { outcome.settle(await Result(catching: body)) }
        let deadline = deadlines.add(timeout) {
            if outcome.settle(.failure(StoreError.unavailable("the database did not answer within \(timeout)"))) { operation.cancel() }
        }
        defer { deadlines.remove(deadline) }
        do {
            let value = try await withTaskCancellationHandler {
                try await outcome.value()
            } onCancel: {
                operation.cancel()
            }
            health.reached()
            return value
        } catch {
            let wrapped = StoreError.wrap(error)
            if case .unavailable(let message) = wrapped as? StoreError { health.missed(message) }
            throw wrapped
        }
    }

    /// Checks that the database answers.
    public func ping() async throws {
        _ = try await perform { try await client.query("SELECT 1", logger: logger) }
    }

    /// Runs the client and watches the operations' deadlines, until cancelled. `starting` is called as the client
    /// starts: queries made before it are served, but the client warns of each.
    public func run(starting: @Sendable () -> Void = {}) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await deadlines.watch() }
            starting()
            await client.run()
            group.cancelAll()
        }
    }

    /// Creates the store, runs `body` while the store runs, and shuts it down afterwards.
    public static func with<T: Sendable>(
        _ configuration: PostgresClient.Configuration, logger: Logger, operationTimeout: Duration = .seconds(5),
        _ body: @Sendable (Store) async throws -> T
    ) async throws -> T {
        let store = Store(
            client: PostgresClient(configuration: configuration, backgroundLogger: poolLogger(logger)), logger: logger, operationTimeout: operationTimeout)
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await store.run(starting: { start.finish() })
                return nil
            }
            defer { group.cancelAll() }
            for await _ in started {}
            return try await body(store)
        }
    }
}

/// PostgresNIO logs every failed connection attempt at info: while the database is down, about one line a second
/// per standing connection. At Loom's default level those are left out; `DatabaseHealth` says once that the
/// database went away and once that it is back. A lower level (debug, trace) keeps them.
func poolLogger(_ logger: Logger) -> Logger {
    var pool = logger
    if pool.logLevel == .info { pool.logLevel = .notice }
    return pool
}

/// The first of an operation's result and its deadline, handed to one waiter.
private final class Deadline<T: Sendable>: Sendable {
    private let state = Mutex<(result: Result<T, any Error>?, waiter: CheckedContinuation<T, any Error>?)>((nil, nil))

    /// Records the outcome unless one is already there; true when this one counts.
    @discardableResult
    func settle(_ result: Result<T, any Error>) -> Bool {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>?? in
            guard state.result == nil else { return .none }
            state.result = result
            defer { state.waiter = nil }
            return .some(state.waiter)
        }
        guard let waiter else { return false }
        waiter?.resume(with: result)
        return true
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}

/// Whether the database answered the last operation; logs when that changes, not on every operation.
public final class DatabaseHealth: Sendable {
    private let down = Atomic<Bool>(false)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    public var isAvailable: Bool { !down.load(ordering: .relaxed) }

    func reached() {
        // A load first: the exchange, a locked instruction, only runs while the database was down.
        guard down.load(ordering: .relaxed), down.exchange(false, ordering: .relaxed) else { return }
        logger.notice("the database answers again")
    }

    func missed(_ reason: String) {
        guard !down.exchange(true, ordering: .relaxed) else { return }
        logger.warning("the database is unavailable; requests that need it fail until it answers again", metadata: ["error": "\(reason)"])
    }
}
