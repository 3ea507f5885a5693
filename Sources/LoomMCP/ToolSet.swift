import Foundation
import LoomConnectors
import LoomWorkflow

/// The tools of a tools.yaml, opened: the built-ins, its OpenAPI operations, the tools of its MCP servers (started
/// here) and its published apps (their schemas asked of their server). `close` ends what was started; a failure
/// while opening ends what had been started before it.
public struct ToolSet: Sendable {
    public let registry: ToolRegistry
    let servers: [MCPToolServer]
    let gateways: [ServiceAPIGateway]

    /// Just the built-ins, `web_page` fetching through `fetcher`.
    public init(fetcher: any HTTPFetcher, policy: HTTPPolicy) {
        self.init(registry: .builtIn(fetcher: fetcher, policy: policy), servers: [], gateways: [])
    }

    init(registry: ToolRegistry, servers: [MCPToolServer], gateways: [ServiceAPIGateway]) {
        self.registry = registry
        self.servers = servers
        self.gateways = gateways
    }

    public static func open(
        _ file: ToolsFile, path: String, fetcher: any HTTPFetcher, policy: HTTPPolicy,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ToolSet {
        var registry = try file.registry(directory: (path as NSString).deletingLastPathComponent, fetcher: fetcher, policy: policy)
        var servers: [MCPToolServer] = []
        var gateways: [ServiceAPIGateway] = []
        do {
            for entry in file.mcp {
                let server = try await MCPToolServer.launch(entry)
                servers.append(server)
                for tool in server.tools { registry.register(tool) }
            }
            for app in file.apps {
                guard let key = environment[app.keyVariable], !key.isEmpty else {
                    throw ToolSetError.app(app.name, "the variable \(app.keyVariable) holding its app key is not set")
                }
                let gateway = ServiceAPIGateway(baseURL: app.server)
                gateways.append(gateway)
                do {
                    let published = try await gateway.apps(keys: [key])
                    registry.register(LoomAppTool(name: app.name, app: published[0], gateway: gateway))
                } catch {
                    throw ToolSetError.app(app.name, error.description)
                }
            }
        } catch {
            await ToolSet(registry: registry, servers: servers, gateways: gateways).close()
            throw error
        }
        return ToolSet(registry: registry, servers: servers, gateways: gateways)
    }

    public func close() async {
        for server in servers { await server.close() }
        for gateway in gateways { await gateway.shutdown() }
    }
}

public enum ToolSetError: Error, Sendable, CustomStringConvertible {
    case app(String, String)

    public var description: String {
        switch self {
        case .app(let name, let reason): return "app tool '\(name)': \(reason)"
        }
    }
}
