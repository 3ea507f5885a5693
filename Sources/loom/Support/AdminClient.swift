import ArgumentParser
import AsyncHTTPClient
import Foundation
import LoomWorkflow
import NIOCore
import NIOHTTP1

/// `--server`, `--token` and `--json` for the commands that talk to a running server's admin API.
struct ServerOptions: ParsableArguments {
    @Option(help: "The Loom server. Default: $LOOM_SERVER or http://127.0.0.1:8080.")
    var server: String?

    @Option(help: "The admin token. Default: $LOOM_TOKEN, or the token ./deploy/dev saved in .loom/admin-token.")
    var token: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    var baseURL: String {
        let environment = ProcessInfo.processInfo.environment
        let url = server ?? environment["LOOM_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    var adminToken: String? {
        if let token { return token }
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["LOOM_TOKEN"], !token.isEmpty { return token }
        let home = environment["LOOM_HOME"] ?? ".loom"
        return (try? String(contentsOfFile: "\(home)/admin-token", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func client() -> AdminClient { AdminClient(baseURL: baseURL, token: adminToken) }
}

/// A small client for the admin API, with errors that say what to do.
struct AdminClient {
    let baseURL: String
    let token: String?

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends a request and returns the JSON answer (null for an empty one).
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json") async throws -> Value {
        let text = try await sendText(method, path, body: body, contentType: contentType)
        return text.isEmpty ? Value.null : (try? JSONDocumentReader.parse(text).value) ?? .string(text)
    }

    /// Sends a request and returns the answer's text as it came (JSON lines, say).
    func sendText(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json") async throws -> String {
        try await withClient { client in
            let response = try await execute(client, method, path, body: body, contentType: contentType)
            var buffer = try await response.body.collect(upTo: 1 << 30)
            let text = buffer.readString(length: buffer.readableBytes) ?? ""
            guard (200..<300).contains(Int(response.status.code)) else {
                throw failure(Int(response.status.code), (try? JSONDocumentReader.parse(text).value) ?? .string(text))
            }
            return text
        }
    }

    /// Sends a request whose answer is an SSE stream, handing each `data:` object to `onEvent`.
    func stream(_ method: HTTPMethod, _ path: String, body: [UInt8], onEvent: (Value) throws -> Void) async throws {
        try await withClient { client in
            let response = try await execute(client, method, path, body: body, contentType: "application/json")
            guard response.status == .ok else {
                var buffer = try await response.body.collect(upTo: 1 << 20)
                let text = buffer.readString(length: buffer.readableBytes) ?? ""
                throw failure(Int(response.status.code), (try? JSONDocumentReader.parse(text).value) ?? .string(text))
            }
            var pending: [UInt8] = []
            for try await buffer in response.body {
                pending += buffer.readableBytesView
                while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<end], as: UTF8.self)
                    pending.removeSubrange(...end)
                    if line.hasPrefix("data: "), let event = try? JSONDocumentReader.parse(String(line.dropFirst(6))).value {
                        try onEvent(event)
                    }
                }
            }
        }
    }

    private func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            if error is Failure { throw error }
            throw Failure(description: "cannot reach the Loom server at \(baseURL) (\(error)); start it with ./deploy/dev up, or point --server / LOOM_SERVER at it")
        }
    }

    private func execute(_ client: HTTPClient, _ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return try await client.execute(request, timeout: .hours(2))
    }

    private func failure(_ status: Int, _ answer: Value) -> Failure {
        var message = answer[path: ["message"]]?.stringValue ?? answer.text
        if let errors = answer[path: ["errors"]]?.arrayValue { message += "\n" + errors.map(\.text).joined(separator: "\n") }
        switch status {
        case 401 where token == nil:
            message += "\nno admin token: pass --token, set LOOM_TOKEN, or start the server with ./deploy/dev up"
        case 401:
            message += "\ncheck --token / LOOM_TOKEN: it must be the server's admin token"
        default:
            break
        }
        return Failure(description: message)
    }
}
