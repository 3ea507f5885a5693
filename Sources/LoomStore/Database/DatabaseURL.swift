import Foundation
import PostgresNIO

/// Reads `DATABASE_URL` (`postgres://user:password@host:port/database?sslmode=disable`) into a client configuration.
/// `?host=/path/to/socket/dir` connects through a Unix socket; libpq's `keepalives_idle`, `keepalives_interval` and
/// `keepalives_count` set TCP keep-alive probes on idle connections.
public enum DatabaseURL {
    public static func configuration(_ text: String) throws(StoreError) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw StoreError.invalidConfiguration("DATABASE_URL must look like postgres://user:password@host:5432/database, got '\(redacted(text))'")
        }
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let database = components.path.split(separator: "/").first.map(String.init)
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        var configuration: PostgresClient.Configuration
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            let port = components.port ?? 5432
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch query["sslmode"] ?? "prefer" {
            case "disable": tls = .disable
            case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
            default: tls = .prefer(.makeClientConfiguration())
            }
            configuration = .init(
                host: components.host ?? "127.0.0.1", port: components.port ?? 5432, username: user, password: password, database: database,
                tls: tls)
        }
        configuration.options.additionalStartupParameters = try keepAliveSettings(query)
        configuration.options.connectTimeout = .seconds(5)
        // No keep-alive query on idle connections: it costs a timer (three tasks and a libdispatch timer) each time a
        // connection is handed back, which under load is every query; a connection the database closed is noticed
        // as it closes, and Loom's servers query at least every few seconds (their heartbeat) anyway.
        configuration.options.keepAliveBehavior = nil
        return configuration
    }

    /// libpq's keep-alive parameters, as settings of the session. PostgresNIO sets no socket options, so the server is
    /// asked to send the probes (its `tcp_keepalives_*`): they keep the NAT or load-balancer mapping of an idle
    /// connection alive, where a connection dropped silently would hold its next query until the operation's deadline.
    /// Off unless asked for: PgBouncer refuses startup parameters it does not know.
    static func keepAliveSettings(_ query: [String: String]) throws(StoreError) -> [(String, String)] {
        var settings: [(String, String)] = []
        for (parameter, setting) in [("keepalives_idle", "tcp_keepalives_idle"), ("keepalives_interval", "tcp_keepalives_interval"), ("keepalives_count", "tcp_keepalives_count")] {
            guard let value = query[parameter] else { continue }
            guard let number = Int(value), number > 0 else {
                throw StoreError.invalidConfiguration("DATABASE_URL's \(parameter) must be a whole number above 0, got '\(value)'")
            }
            settings.append((setting, String(number)))
        }
        return settings
    }

    /// The URL with its password hidden, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}
