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
///   search:                                       # or one reached over streamable HTTP
///     url: https://mcp.example.com/mcp
///     bearer_env: SEARCH_TOKEN                    # the variable holding its token, when it needs one
/// apps:
///   triage:                                       # a published Loom app called as the tool `triage`
///     key_env: LOOM_TRIAGE_KEY                    # the variable holding the app key that opens it
///     server: http://127.0.0.1:8080               # the server that publishes it (default: this one)
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

    /// An MCP server whose tools become `NAME_TOOL`: a process spoken to on stdio (`command`), or a server at a
    /// streamable-HTTP `url`, with a bearer token from the environment when it needs one.
    public struct MCPServer: Sendable, Equatable {
        public var name: String
        public var command: String = ""
        public var arguments: [String] = []
        public var environment: [String: String] = [:]
        public var url: String?
        public var bearerVariable: String?
        public var timeout: Duration
    }

    /// A published Loom app, called through the Service API of the server that publishes it.
    public struct App: Sendable, Equatable {
        public var name: String
        public var server: String
        public var keyVariable: String

        public init(name: String, server: String, keyVariable: String) {
            self.name = name
            self.server = server
            self.keyVariable = keyVariable
        }
    }

    public var openAPI: [OpenAPIProvider] = []
    public var mcp: [MCPServer] = []
    public var apps: [App] = []
    static let sections = ["openapi", "mcp", "apps"]

    /// `LOOM_TOOLS`, else `tools.yaml` in the working directory when there is one.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let path = environment["LOOM_TOOLS"], !path.isEmpty { return path }
        return FileManager.default.fileExists(atPath: "tools.yaml") ? "tools.yaml" : nil
    }

    public init() {}

    public init(text: String, file: String) throws(OpenAPIError) {
        let root = try OpenAPIDocument.parse(text, file: file)
        for key in (root.objectValue ?? [:]).keys where !Self.sections.contains(key) {
            throw .malformed("\(file): unknown key '\(key)' (tools.yaml has: \(Self.sections.joined(separator: ", ")))")
        }
        for (name, entry) in try Self.entries(root, "mcp", naming: "MCP server name", file: file) {
            let timeout = Duration.milliseconds(Int((entry[path: ["timeout_s"]]?.numberValue ?? 20) * 1000))
            switch (entry[path: ["command"]]?.stringValue, entry[path: ["url"]]?.stringValue) {
            case (let command?, nil):
                mcp.append(MCPServer(
                    name: name, command: command, arguments: (entry[path: ["args"]]?.arrayValue ?? []).map(\.text),
                    environment: (entry[path: ["env"]]?.objectValue ?? [:]).mapValues(\.text), timeout: timeout))
            case (nil, let url?):
                guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
                    throw .malformed("\(file): MCP server '\(name)': url must be an http or https address, not '\(url)'")
                }
                mcp.append(MCPServer(name: name, url: url, bearerVariable: entry[path: ["bearer_env"]]?.stringValue, timeout: timeout))
            case (.some, .some):
                throw .malformed("\(file): MCP server '\(name)' has both 'command' and 'url'; give one")
            case (nil, nil):
                throw .malformed("\(file): MCP server '\(name)' needs 'command' (a process on stdio) or 'url' (streamable HTTP)")
            }
        }
        for (name, entry) in try Self.entries(root, "openapi", naming: "provider name", file: file) {
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
        for (name, entry) in try Self.entries(root, "apps", naming: "app tool name", file: file) {
            guard let variable = entry[path: ["key_env"]]?.stringValue else {
                throw .malformed("\(file): app tool '\(name)' needs 'key_env' (the variable holding its app key)")
            }
            apps.append(App(name: name, server: entry[path: ["server"]]?.stringValue ?? "http://127.0.0.1:8080", keyVariable: variable))
        }
    }

    /// A section's entries by name, in order; a name becomes part of tool names, so it is an identifier.
    private static func entries(_ root: Value, _ section: String, naming: String, file: String) throws(OpenAPIError) -> [(String, Value)] {
        let entries = (root[path: [section]]?.objectValue ?? [:]).sorted { $0.key < $1.key }
        for (name, _) in entries where !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw .malformed("\(file): \(naming) '\(name)' may hold letters, digits and '_' only")
        }
        return entries
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
        // Values as JSON, which YAML reads as it is: commands and arguments may hold anything.
        if !mcp.isEmpty { lines.append("mcp:") }
        for server in mcp {
            var entry: [String: Value] = ["timeout_s": .double(server.timeout.seconds)]
            if let url = server.url {
                entry["url"] = .string(url)
                if let variable = server.bearerVariable { entry["bearer_env"] = .string(variable) }
            } else {
                entry["command"] = .string(server.command)
                entry["args"] = .array(server.arguments.map(Value.string))
                entry["env"] = .object(server.environment.mapValues(Value.string))
            }
            lines.append("  \(server.name): \(JSONWriter.string(.object(entry)))")
        }
        if !apps.isEmpty { lines.append("apps:") }
        for app in apps {
            lines.append("  \(app.name): \(JSONWriter.string(["key_env": .string(app.keyVariable), "server": .string(app.server)]))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The built-in tools and every provider's operations; documents are read relative to `directory`.
    public func registry(directory: String, fetcher: any HTTPFetcher, policy: HTTPPolicy) throws(OpenAPIError) -> ToolRegistry {
        var registry = ToolRegistry.builtIn(fetcher: fetcher, policy: policy)
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
