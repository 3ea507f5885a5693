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
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
    }

    static func text(_ text: String) -> MCP.Tool.Content {
        .text(text: text, annotations: nil, _meta: nil)
    }
}
