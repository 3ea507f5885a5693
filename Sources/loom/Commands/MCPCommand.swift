import ArgumentParser
import Foundation
import LoomMCP
import MCP

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mcp", abstract: "Serve published Loom apps to MCP clients.", subcommands: [Serve.self])

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An MCP server on stdin/stdout whose tools are the apps the given app keys open (for Claude Desktop, editors and other MCP clients).")

        @Option(help: "The Loom server. Default: $LOOM_SERVER or http://127.0.0.1:8080.") var server: String?
        @Option(name: .customLong("key"), help: "An app key; each opens one app, served as the tool named by its slug (repeatable; also $LOOM_APP_KEYS, comma-separated).")
        var keys: [String] = []

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let base = server ?? environment["LOOM_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
            let keys = self.keys + (environment["LOOM_APP_KEYS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !keys.isEmpty else {
                StandardError.line("no app key: pass --key KEY (loom keys create APP) or set LOOM_APP_KEYS")
                throw ExitCode(2)
            }
            let gateway = ServiceAPIGateway(baseURL: base)
            do {
                // Standard output is the protocol's: everything else goes to standard error.
                let apps = try await gateway.apps(keys: keys)
                StandardError.line("loom mcp: serving \(apps.map(\.slug).joined(separator: ", ")) from \(base)")
                try await AppsMCPServer(gateway: gateway, apps: apps).run(transport: StdioTransport())
                await gateway.shutdown()
            } catch {
                await gateway.shutdown()
                StandardError.line("loom mcp: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
