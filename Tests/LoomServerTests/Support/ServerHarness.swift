import AsyncHTTPClient
import Foundation
import Logging
import LoomConnectors
import LoomServer
import LoomStore
import LoomTestSupport
import LoomWorkflow
import NIOCore
import NIOHTTP1

/// A real Loom server on a free port over a fresh, migrated database, for one test.
struct ServerHarness: Sendable {
    static let adminToken = "test-admin-token"
    /// Longer than a store operation's limit in tests, so that a slow database answers as a 503 naming it rather
    /// than as a client deadline; under the suite's start-up load on two cores, 30 s was exceeded once.
    static let requestTimeout: TimeAmount = .seconds(90)
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    let baseURL: String
    let store: Store
    let client: HTTPClient

    struct Reply: Sendable {
        var status: Int
        var body: Value
        var text: String
    }

    static func configuration(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.adminToken = adminToken
        configuration.migrationsDirectory = TestDatabase.migrations
        configuration.allowPrivateNetworks = true
        adjust(&configuration)
        return configuration
    }

    /// Runs `body` against a server on `databaseURL` (a new database when nil).
    static func with<T: Sendable>(
        databaseURL: String? = nil, catalog: ModelCatalog = StubModel.unreachable,
        databaseTimeout: Duration = TestDatabase.operationTimeout, configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (ServerHarness) async throws -> T
    ) async throws -> T {
        let url: String
        if let databaseURL { url = databaseURL } else { url = try await TestDatabase.create() }
        let server = LoomServer(configuration: configuration(configure), catalog: catalog, logger: Logger(label: "loom.test.server"))
        return try await Store.with(try DatabaseURL.configuration(url), logger: Logger(label: "loom.test.store"), operationTimeout: databaseTimeout) { store in
            try await ListeningService.with({ onListening in
                try await server.run(store: store, onListening: onListening, showAdminToken: { _ in })
            }) { port, client in
                try await body(ServerHarness(baseURL: "http://127.0.0.1:\(port)", store: store, client: client))
            }
        }
    }

    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil, contentType: String = "application/json") async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: Self.requestTimeout)
        } catch {
            throw HarnessError("\(method) \(path): \(error)")
        }
        var buffer = try await response.body.collect(upTo: 16 << 20)
        let text = buffer.readString(length: buffer.readableBytes) ?? ""
        return Reply(status: Int(response.status.code), body: (try? JSONDocumentReader.parse(text).value) ?? .null, text: text)
    }

    func admin(_ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String = "application/json") async throws -> Reply {
        try await request(method, path, token: Self.adminToken, body: body, contentType: contentType)
    }

    /// Deploys and publishes a workflow; returns a new key for its app.
    @discardableResult
    func publish(_ yaml: String) async throws -> String {
        let deployed = try await admin(.POST, "/admin/apps?publish=true&file=test.yaml", body: yaml, contentType: "application/yaml")
        guard deployed.status == 201 || deployed.status == 200, let slug = deployed.body[path: ["app", "slug"]]?.stringValue else {
            throw HarnessError("deploy failed: \(deployed.status) \(deployed.text)")
        }
        let key = try await admin(.POST, "/admin/apps/\(slug)/keys", body: "{}")
        guard let secret = key.body[path: ["key"]]?.stringValue else { throw HarnessError("no key: \(key.text)") }
        return secret
    }

    func publishExample(_ file: String) async throws -> String {
        try await publish(try String(contentsOf: Self.root.appendingPathComponent("workflows/\(file)"), encoding: .utf8))
    }

    /// Runs a request whose answer streams, handing each SSE frame (`data` object, or `ping`) to `onFrame`; stops
    /// reading when `onFrame` returns false (the client goes away).
    func stream(_ path: String, token: String, body: String, onFrame: (SSEFrame) async throws -> Bool) async throws -> Int {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: Self.requestTimeout)
        guard response.status == .ok else { return Int(response.status.code) }
        var pending = ""
        reading: for try await buffer in response.body {
            pending += String(buffer: buffer)
            while let range = pending.range(of: "\n\n") {
                let frame = String(pending[..<range.lowerBound])
                pending.removeSubrange(..<range.upperBound)
                let parsed: SSEFrame
                if frame == "event: ping" {
                    parsed = .ping
                } else if frame.hasPrefix("data: "), let value = try? JSONDocumentReader.parse(String(frame.dropFirst(6))).value {
                    parsed = .data(value)
                } else {
                    throw HarnessError("unexpected SSE frame: \(frame)")
                }
                if try await !onFrame(parsed) { break reading }
            }
        }
        return 200
    }

    /// Waits until `condition` holds, polling.
    func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("condition not met within \(timeout)")
    }
}

enum SSEFrame: Sendable {
    case data(Value)
    case ping

    var event: String? {
        if case .data(let value) = self { return value[path: ["event"]]?.stringValue }
        return "ping"
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A model endpoint the test runs (OpenAI protocol), answering every request with `pieces`, `pause` apart.
enum StubModel {
    /// A `default` model nothing answers (port 9, discard): llm nodes fail fast and take their error strategy.
    static let unreachable = ModelCatalog(
        endpoints: ["stub": ModelEndpoint(name: "stub", baseURL: "http://127.0.0.1:9/v1", model: "stub")], defaultName: "stub")

    static func catalog(port: Int) -> ModelCatalog {
        ModelCatalog(endpoints: ["stub": ModelEndpoint(name: "stub", baseURL: "http://127.0.0.1:\(port)/v1", model: "stub")], defaultName: "stub")
    }
}
