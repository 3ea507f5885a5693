import LoomWorkflow

/// A published Loom app as a tool of a workflow or an agent (tools.yaml `apps:`): a call runs the app's published
/// version through the Service API of the server that publishes it, with the app key that opens it.
struct LoomAppTool: Tool {
    let name: String
    let app: PublishedAppTool
    let gateway: ServiceAPIGateway
    /// Read once from the app's schema: agents and calls ask for them every time.
    let parameters: [ToolParameter]

    init(name: String, app: PublishedAppTool, gateway: ServiceAPIGateway) {
        self.name = name
        self.app = app
        self.gateway = gateway
        parameters = ToolParameter.list(schema: app.inputSchema)
    }

    var description: String { app.description }

    func call(_ arguments: [String: Value]) async throws -> Value {
        do {
            return try await gateway.call(app, arguments: arguments)
        } catch {
            throw ToolError.failed("app '\(app.slug)': \(error)")
        }
    }
}
