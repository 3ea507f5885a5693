import Foundation
import Hummingbird
import LoomMCP
import Synchronization

/// `POST /mcp`: the published app an app key opens, as an MCP tool over streamable HTTP, for MCP clients that reach
/// Loom over the network instead of starting `loom mcp serve`. Its calls go through this server's own Service API
/// (on loopback), so they are authorised, limited and recorded as any other run.
struct MCPController: Sendable {
    let auth: Authenticator
    let loopback: LoopbackGateway
    let configuration: ServerConfiguration

    func handle(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        _ = try await auth.app(request, slug: nil)
        let key = try auth.bearer(request)
        let body = try await request.text(limit: configuration.maxBodyBytes)
        guard let gateway = loopback.gateway else { throw APIError(.serviceUnavailable, "starting", "the server is starting; retry shortly") }
        let apps: [PublishedAppTool]
        do {
            apps = try await gateway.apps(keys: [key])
        } catch {
            throw APIError(.internalServerError, "internal_error", "could not describe the app: \(error)")
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let reply = try await AppsMCPServer(gateway: gateway, apps: apps).respond(to: MCPHTTPRequest(method: "POST", headers: headers, body: Data(body.utf8)))
        var fields = HTTPFields()
        for (name, value) in reply.headers {
            if let name = HTTPFields.Element.Name(name) { fields[name] = value }
        }
        return Response(status: .init(code: reply.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: reply.body ?? Data())))
    }
}

/// This server's own Service API, reachable once the server listens; shut down with the server.
final class LoopbackGateway: Sendable {
    private let state = Mutex<ServiceAPIGateway?>(nil)

    var gateway: ServiceAPIGateway? { state.withLock { $0 } }

    /// A server bound to every interface is reached on loopback; one bound to an address, on that address.
    func listening(host: String, port: Int) {
        let address = host.isEmpty || host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host.contains(":") ? "[\(host)]" : host
        state.withLock { $0 = ServiceAPIGateway(baseURL: "http://\(address):\(port)") }
    }

    func shutdown() async {
        await state.withLock { $0 }?.shutdown()
    }
}
