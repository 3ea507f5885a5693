import Logging
import LoomTestSupport
import Testing

@testable import LoomStore

@Suite struct DatabaseHealthTests {
    static let wentAway = "warning the database is unavailable; requests that need it fail until it answers again"

    @Test func theDatabaseGoingAwayAndComingBackIsLoggedOnceEach() {
        let logged = LoggedLines()
        let health = DatabaseHealth(logger: Logger(label: "loom.test") { _ in logged })
        health.reached()
        health.missed("connection refused")
        health.missed("connection refused")
        #expect(!health.isAvailable)
        health.reached()
        health.reached()
        #expect(health.isAvailable)
        health.missed("did not answer")
        #expect(logged.lines == [Self.wentAway, "notice the database answers again", Self.wentAway])
    }

    /// At the default level the pool's attempt-by-attempt failures (PostgresNIO logs each at info) are left out.
    @Test func anUnreachableDatabaseIsReportedOnceNotOnEveryConnectionAttempt() async throws {
        let logged = LoggedLines(level: .info)
        var configuration = try DatabaseURL.configuration("postgres://nobody@127.0.0.1:9/none")
        configuration.options.minimumConnections = 2
        try await Store.with(configuration, logger: Logger(label: "loom.test") { _ in logged }, operationTimeout: .milliseconds(300)) { store in
            for _ in 0..<3 {
                await #expect(throws: StoreError.self) { try await store.ping() }
            }
        }
        #expect(logged.lines.filter { $0 == Self.wentAway }.count == 1, "\(logged.lines)")
        #expect(!logged.contains("Connection creation failed"), "\(logged.lines)")
    }
}
