import Foundation
import Logging
import LoomStore
import LoomTestSupport
import PostgresNIO
import Testing

@Suite struct DatabaseURLTests {
    @Test func libpqKeepAliveParametersBecomeTheSessionsTCPKeepAliveSettings() async throws {
        let url = try await TestDatabase.create() + "?keepalives_idle=45&keepalives_interval=7&keepalives_count=4"
        let settings = try await Store.with(try DatabaseURL.configuration(url), logger: Logger(label: "loom.test")) { store in
            var shown: [String] = []
            for setting in ["tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count"] {
                for try await value in try await store.client.query(PostgresQuery(unsafeSQL: "SHOW \(setting)")).decode(String.self) { shown.append(value) }
            }
            return shown
        }
        #expect(settings == ["45", "7", "4"])
    }

    @Test func aKeepAliveThatIsNotAWholeNumberAboveZeroIsRefused() {
        for (value, shown) in [("soon", "soon"), ("0", "0"), ("-5", "-5")] {
            #expect(throws: StoreError.invalidConfiguration("DATABASE_URL's keepalives_idle must be a whole number above 0, got '\(shown)'")) {
                try DatabaseURL.configuration("postgres://loom@127.0.0.1:5432/loom?keepalives_idle=\(value)")
            }
        }
    }
}
