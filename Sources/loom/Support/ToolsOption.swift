import ArgumentParser
import Foundation
import LoomConnectors
import LoomWorkflow

/// `--tools FILE`: the tools file (default `$LOOM_TOOLS`, else `./tools.yaml` when there is one).
struct ToolsOption: ParsableArguments {
    @Option(name: .customLong("tools"), help: "The tools file (default: $LOOM_TOOLS, else ./tools.yaml when present).")
    var path: String?

    var resolvedPath: String? { path ?? ToolsFile.defaultPath(environment: ProcessInfo.processInfo.environment) }

    /// Runs `body` with the registry and a fetcher its HTTP tools call out through, shut down afterwards whatever
    /// happens.
    func withRegistry<T>(policy: HTTPPolicy, _ body: (ToolRegistry, NetworkHTTPFetcher) async throws -> T) async throws -> T {
        let fetcher = NetworkHTTPFetcher()
        do {
            let result = try await body(try registry(fetcher: fetcher, policy: policy), fetcher)
            await fetcher.shutdown()
            return result
        } catch {
            await fetcher.shutdown()
            throw error
        }
    }

    /// The registry: built-ins and the file's tools, calling out through `fetcher` under `policy`. A broken file
    /// ends the command with the reason.
    func registry(fetcher: any HTTPFetcher, policy: HTTPPolicy) throws -> ToolRegistry {
        guard let path = resolvedPath else { return .builtIn }
        do {
            let file = try ToolsFile(text: try WorkflowFile.read(path), file: path)
            return try file.registry(directory: (path as NSString).deletingLastPathComponent, fetcher: fetcher, policy: policy)
        } catch let error as OpenAPIError {
            StandardError.line(error.description)
            throw ExitCode(2)
        } catch let error as WorkflowLoadError {
            for diagnostic in error.diagnostics { StandardError.line(diagnostic.description) }
            throw ExitCode(2)
        }
    }
}
