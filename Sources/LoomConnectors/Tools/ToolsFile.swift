import Foundation
import LoomWorkflow

/// `tools.yaml`: the tools beyond the built-ins. Each OpenAPI provider names its document (relative to this file),
/// optionally a base URL over the document's own, and where its credential comes from:
///
/// ```yaml
/// openapi:
///   weather:
///     spec: tools/weather.openapi.yaml
///     base_url: https://api.example.com
///     auth: {type: bearer, env: WEATHER_TOKEN}   # or {type: header|query, name: X-Api-Key, env: VAR}
/// mcp:
///   files:                                        # an MCP server started as a process, spoken to on stdio
///     command: npx
///     args: [-y, "@modelcontextprotocol/server-filesystem", /srv/docs]
///     env: {LOG_LEVEL: warn}
///     timeout_s: 20                               # to start and to answer each call
/// ```
public struct ToolsFile: Sendable {
    public struct OpenAPIProvider: Sendable, Equatable {
        public var name: String
        public var spec: String
        public var baseURL: String?
        public var authentication: OpenAPITool.Authentication?

        public init(name: String, spec: String, baseURL: String? = nil, authentication: OpenAPITool.Authentication? = nil) {
            self.name = name
            self.spec = spec
            self.baseURL = baseURL
            self.authentication = authentication
        }
    }

    /// An MCP server whose tools become `NAME_TOOL`.
    public struct MCPServer: Sendable, Equatable {
        public var name: String
        public var command: String
        public var arguments: [String]
        public var environment: [String: String]
        public var timeout: Duration
    }

    public var openAPI: [OpenAPIProvider] = []
    public var mcp: [MCPServer] = []

    /// `LOOM_TOOLS`, else `tools.yaml` in the working directory when there is one.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let path = environment["LOOM_TOOLS"], !path.isEmpty { return path }
        return FileManager.default.fileExists(atPath: "tools.yaml") ? "tools.yaml" : nil
    }

    public init() {}

    public init(text: String, file: String) throws(OpenAPIError) {
        let root = try OpenAPIDocument.parse(text, file: file)
        for key in (root.objectValue ?? [:]).keys where key != "openapi" && key != "mcp" {
            throw .malformed("\(file): unknown key '\(key)' (tools.yaml has: openapi, mcp)")
        }
        for (name, entry) in (root[path: ["mcp"]]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw .malformed("\(file): MCP server name '\(name)' may hold letters, digits and '_' only")
            }
            if entry[path: ["url"]] != nil {
                throw .malformed("\(file): MCP server '\(name)': streamable HTTP servers are not supported yet; give a stdio 'command'")
            }
            guard let command = entry[path: ["command"]]?.stringValue else { throw .malformed("\(file): MCP server '\(name)' needs 'command'") }
            mcp.append(MCPServer(
                name: name, command: command, arguments: (entry[path: ["args"]]?.arrayValue ?? []).map(\.text),
                environment: (entry[path: ["env"]]?.objectValue ?? [:]).mapValues(\.text),
                timeout: .milliseconds(Int((entry[path: ["timeout_s"]]?.numberValue ?? 20) * 1000))))
        }
        for (name, entry) in (root[path: ["openapi"]]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw .malformed("\(file): provider name '\(name)' may hold letters, digits and '_' only")
            }
            guard let spec = entry[path: ["spec"]]?.stringValue else { throw .malformed("\(file): openapi provider '\(name)' needs 'spec'") }
            var provider = OpenAPIProvider(name: name, spec: spec, baseURL: entry[path: ["base_url"]]?.stringValue)
            if let auth = entry[path: ["auth"]] {
                guard let variable = auth[path: ["env"]]?.stringValue else { throw .malformed("\(file): the auth of '\(name)' needs 'env' (the variable holding the credential)") }
                switch auth[path: ["type"]]?.stringValue {
                case "bearer": provider.authentication = .bearer(variable: variable)
                case let type? where type == "header" || type == "query":
                    guard let field = auth[path: ["name"]]?.stringValue else { throw .malformed("\(file): a \(type) auth of '\(name)' needs 'name'") }
                    provider.authentication = type == "header" ? .header(name: field, variable: variable) : .query(name: field, variable: variable)
                default: throw .malformed("\(file): the auth type of '\(name)' must be bearer, header or query")
                }
            }
            openAPI.append(provider)
        }
    }

    /// The file as text, for `loom tools import-openapi` to write back.
    public var yaml: String {
        var lines = ["# Tools beyond the built-ins (see `loom tools list`).", "openapi:"]
        for provider in openAPI {
            lines.append("  \(provider.name):")
            lines.append("    spec: \(provider.spec)")
            if let baseURL = provider.baseURL { lines.append("    base_url: \(baseURL)") }
            switch provider.authentication {
            case .bearer(let variable)?: lines.append("    auth: {type: bearer, env: \(variable)}")
            case .header(let name, let variable)?: lines.append("    auth: {type: header, name: \(name), env: \(variable)}")
            case .query(let name, let variable)?: lines.append("    auth: {type: query, name: \(name), env: \(variable)}")
            case nil: break
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The built-in tools and every provider's operations; documents are read relative to `directory`.
    public func registry(directory: String, fetcher: any HTTPFetcher, policy: HTTPPolicy) throws(OpenAPIError) -> ToolRegistry {
        var registry = ToolRegistry.builtIn
        for provider in openAPI {
            let path = provider.spec.hasPrefix("/") ? provider.spec : (directory as NSString).appendingPathComponent(provider.spec)
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw .malformed("\(path): cannot read the OpenAPI document of '\(provider.name)'")
            }
            let document = try OpenAPIDocument(text: text, file: path)
            guard let base = provider.baseURL ?? document.baseURL else {
                throw .malformed("\(path): no servers[0].url; give '\(provider.name)' a base_url in tools.yaml")
            }
            for operation in document.operations {
                registry.register(OpenAPITool(provider: provider.name, operation: operation, baseURL: base, authentication: provider.authentication, fetcher: fetcher, policy: policy))
            }
        }
        return registry
    }
}
