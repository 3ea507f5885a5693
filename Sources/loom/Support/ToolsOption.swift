import ArgumentParser
import Foundation
import LoomConnectors
import LoomMCP
import LoomWorkflow

/// `--tools FILE`: the tools file (default `$LOOM_TOOLS`, else `./tools.yaml` when there is one).
struct ToolsOption: ParsableArguments {
    @Option(name: .customLong("tools"), help: "The tools file (default: $LOOM_TOOLS, else ./tools.yaml when present).")
    var path: String?

    var resolvedPath: String? { path ?? ToolsFile.defaultPath(environment: ProcessInfo.processInfo.environment) }

    /// Runs `body` with the registry — built-ins, OpenAPI tools calling out through the fetcher it is given, and the
    /// tools of the file's MCP servers — then shuts the fetcher and the servers down, whatever happens.
    func withRegistry<T>(policy: HTTPPolicy, _ body: (ToolRegistry, NetworkHTTPFetcher) async throws -> T) async throws -> T {
        let fetcher = NetworkHTTPFetcher()
        var servers: [MCPToolServer] = []
        do {
            var registry = ToolRegistry.builtIn
            if let path = resolvedPath {
                let file = try read(path)
                registry = try open(file, path: path, fetcher: fetcher, policy: policy)
                for entry in file.mcp {
                    do {
                        let server = try await MCPToolServer.launch(entry)
                        servers.append(server)
                        for tool in server.tools { registry.register(tool) }
                    } catch {
                        StandardError.line("\(path): \(error)")
                        throw ExitCode(2)
                    }
                }
            }
            let result = try await body(registry, fetcher)
            for server in servers { await server.close() }
            await fetcher.shutdown()
            return result
        } catch {
            for server in servers { await server.close() }
            await fetcher.shutdown()
            throw error
        }
    }

    private func read(_ path: String) throws -> ToolsFile {
        do {
            return try ToolsFile(text: try WorkflowFile.read(path), file: path)
        } catch let error as OpenAPIError {
            StandardError.line(error.description)
            throw ExitCode(2)
        } catch let error as WorkflowLoadError {
            for diagnostic in error.diagnostics { StandardError.line(diagnostic.description) }
            throw ExitCode(2)
        }
    }

    /// Built-ins and the file's OpenAPI tools; a broken document ends the command with the reason.
    private func open(_ file: ToolsFile, path: String, fetcher: any HTTPFetcher, policy: HTTPPolicy) throws -> ToolRegistry {
        do {
            return try file.registry(directory: (path as NSString).deletingLastPathComponent, fetcher: fetcher, policy: policy)
        } catch {
            StandardError.line(error.description)
            throw ExitCode(2)
        }
    }
}
