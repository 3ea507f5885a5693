import AsyncHTTPClient
import Foundation
import LoomWorkflow
import NIOCore

/// Reaches published apps through a Loom server's Service API with their app keys: what the MCP server's tools
/// call. Runs are blocking; a chat app's message starts a new conversation each call.
public final class ServiceAPIGateway: Sendable {
    let baseURL: String
    let client: HTTPClient

    public init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        client = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// The app each key opens.
    public func apps(keys: [String]) async throws(AppGatewayError) -> [PublishedAppTool] {
        var apps: [PublishedAppTool] = []
        for key in keys {
            apps.append(try PublishedAppTool(key: key, info: try await send("GET", "/v1/info", key: key), parameters: try await send("GET", "/v1/parameters", key: key)))
        }
        return apps
    }

    /// Runs the app; the result is its outputs (a chat app: its answer), or the run's error.
    public func call(_ app: PublishedAppTool, arguments: [String: Value]) async throws(AppGatewayError) -> Value {
        if app.chat {
            var inputs = arguments
            let query = inputs.removeValue(forKey: "query")?.text ?? ""
            let reply = try await send("POST", "/v1/chat-messages", key: app.key, body: ["query": .string(query), "inputs": .object(inputs), "user": "mcp", "response_mode": "blocking"])
            return ["answer": reply[path: ["answer"]] ?? .null, "conversation_id": reply[path: ["conversation_id"]] ?? .null]
        }
        let reply = try await send("POST", "/v1/workflows/run", key: app.key, body: ["inputs": .object(arguments), "user": "mcp", "response_mode": "blocking"])
        guard reply[path: ["data", "status"]]?.stringValue != "failed" else {
            throw .refused(status: 500, message: reply[path: ["data", "error"]]?.stringValue ?? "the run failed")
        }
        return reply[path: ["data", "outputs"]] ?? .null
    }

    private func send(_ method: String, _ path: String, key: String, body: Value? = nil) async throws(AppGatewayError) -> Value {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        }
        let status: Int
        let text: String
        do {
            let response = try await client.execute(request, timeout: .seconds(600))
            status = Int(response.status.code)
            text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch {
            throw .unreachable(String(describing: error))
        }
        let value = (try? JSONDocumentReader.parse(text).value) ?? .string(text)
        guard (200..<300).contains(status) else { throw .refused(status: status, message: value[path: ["message"]]?.stringValue ?? text) }
        return value
    }
}
