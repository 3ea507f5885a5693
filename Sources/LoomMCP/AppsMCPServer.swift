import Foundation
import LoomWorkflow
import MCP

/// An MCP server whose tools are published Loom apps: `tools/list` gives each with its input schema, `tools/call`
/// runs it through the gateway and returns its outputs as JSON text (and structured content); a failed run is a
/// tool error with the reason.
public struct AppsMCPServer: Sendable {
    let gateway: ServiceAPIGateway
    let apps: [PublishedAppTool]

    public init(gateway: ServiceAPIGateway, apps: [PublishedAppTool]) {
        self.gateway = gateway
        self.apps = apps
    }

    /// Serves until the client closes the connection.
    public func run(transport: any Transport) async throws {
        let server = try await makeServer()
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
    }

    /// Answers one message of MCP's streamable HTTP transport without sessions — a POST of one JSON-RPC message,
    /// answered with JSON (202 for a notification) — on a server made for it: `loom serve` at `/mcp`.
    public func respond(to request: MCPHTTPRequest) async throws -> MCPHTTPReply {
        // No origin check: a caller must hold an app key, which a page in a browser cannot send on its own.
        let transport = StatelessHTTPServerTransport(validationPipeline: StandardValidationPipeline(validators: [
            AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
        ]))
        let server = try await makeServer()
        try await server.start(transport: transport)
        let response = await transport.handleRequest(HTTPRequest(method: request.method, headers: request.headers, body: request.body))
        await server.stop()
        return MCPHTTPReply(status: response.statusCode, headers: response.headers, body: response.bodyData)
    }

    private func makeServer() async throws -> Server {
        let server = Server(name: "loom", version: "1", capabilities: .init(tools: .init(listChanged: false)))
        let tools = try apps.map { app in
            MCP.Tool(name: app.slug, title: app.name, description: app.description, inputSchema: try ValueBridge.mcp(app.inputSchema))
        }
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: tools) }
        let apps = self.apps
        let gateway = self.gateway
        await server.withMethodHandler(CallTool.self) { params in
            guard let app = apps.first(where: { $0.slug == params.name }) else {
                return .init(content: [Self.text("no app '\(params.name)'; the tools are: \(apps.map(\.slug).joined(separator: ", "))")], isError: true)
            }
            let arguments = try ValueBridge.loom(.object(params.arguments ?? [:])).objectValue ?? [:]
            let outputs: LoomWorkflow.Value
            do {
                outputs = try await gateway.call(app, arguments: arguments)
            } catch {
                return .init(content: [Self.text(String(describing: error))], isError: true)
            }
            let structured = try ValueBridge.mcp(outputs)
            return CallTool.Result(content: [Self.text(JSONWriter.string(outputs))], structuredContent: Optional(structured), isError: false)
        }
        return server
    }

    static func text(_ text: String) -> MCP.Tool.Content {
        .text(text: text, annotations: nil, _meta: nil)
    }
}

/// One HTTP request to the MCP endpoint, in the terms the server's router gives it.
public struct MCPHTTPRequest: Sendable {
    public var method: String
    public var headers: [String: String]
    public var body: Data?

    public init(method: String, headers: [String: String], body: Data?) {
        self.method = method
        self.headers = headers
        self.body = body
    }
}

/// The answer to send back.
public struct MCPHTTPReply: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data?
}
