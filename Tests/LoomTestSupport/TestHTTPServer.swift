import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP/1.1 server on 127.0.0.1 for tests, answering through a handler. Responses can stream their body in
/// chunks with pauses, as model servers do. It lives for the duration of `TestHTTPServer.with { port in … }`.
public enum TestHTTPServer {
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        /// Written one after another, each after its pause.
        public var chunks: [(pause: Duration, bytes: [UInt8])]

        public init(status: Int = 200, headers: [(String, String)] = [], chunks: [(pause: Duration, bytes: [UInt8])]) {
            self.status = status
            self.headers = headers
            self.chunks = chunks
        }

        public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain") -> Response {
            Response(status: status, headers: [("Content-Type", contentType), ("Content-Length", String(text.utf8.count))], chunks: [(.zero, Array(text.utf8))])
        }

        public static func json(_ text: String, status: Int = 200) -> Response {
            .text(text, status: status, contentType: "application/json")
        }
    }

    public typealias Handler = @Sendable (Request) async -> Response

    public static func with<T: Sendable>(_ handler: @escaping Handler, _ body: @Sendable (Int) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress!.port!
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await withThrowingDiscardingTaskGroup { connections in
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await serve(connection, handler) }
                        }
                    }
                }
                return nil
            }
            let result = try await body(port)
            group.cancelAll()
            return result
        }
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, _ handler: Handler) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                case .body(let buffer):
                    body += buffer.readableBytesView
                case .end:
                    guard let head else { continue }
                    let request = Request(
                        method: head.method.rawValue, uri: head.uri, headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
                    let response = await handler(request)
                    var headers = HTTPHeaders(response.headers)
                    if !headers.contains(name: "Content-Length") { headers.add(name: "Transfer-Encoding", value: "chunked") }
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status), headers: headers)))
                    for chunk in response.chunks {
                        if chunk.pause > .zero { try await Task.sleep(for: chunk.pause) }
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk.bytes))))
                    }
                    try await outbound.write(.end(nil))
                }
            }
        }
    }

    /// A port nothing listens on: bound, then closed.
    public static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }
}
