import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// A client for Loom's outbound calls: redirects are not followed by the client (callers decide), and a
    /// refused connection fails at once instead of being retried until the connect timeout — the node's own
    /// retry policy decides about retries.
    static func loomClient(connect: Duration, read: Duration? = nil) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(connect.nanoseconds), read: read.map { .nanoseconds($0.nanoseconds) }))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }
}
