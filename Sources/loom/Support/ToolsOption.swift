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

    /// Runs `body` with the registry — built-ins, OpenAPI tools calling out through the fetcher it is given, the
    /// tools of the file's MCP servers and its published apps — then closes them and the fetcher, whatever happens.
    func withRegistry<T>(policy: HTTPPolicy, _ body: (ToolRegistry, NetworkHTTPFetcher) async throws -> T) async throws -> T {
        let fetcher = NetworkHTTPFetcher()
        var tools = ToolSet(fetcher: fetcher, policy: policy)
        do {
            if let path = resolvedPath {
                let file = try read(path)
                do {
                    tools = try await ToolSet.open(file, path: path, fetcher: fetcher, policy: policy)
                } catch {
                    StandardError.line("\(path): \(error)")
                    throw ExitCode(2)
                }
            }
            let result = try await body(tools.registry, fetcher)
            await tools.close()
            await fetcher.shutdown()
            return result
        } catch {
            await tools.close()
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
}
