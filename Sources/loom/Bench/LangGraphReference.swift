import Foundation
import LoomWorkflow

/// LangGraph running the same graphs, installed into a scratch virtual environment by the benchmark itself.
struct LangGraphReference {
    static let package = "langgraph==1.2.22"
    static let script = "Benchmarks/engine/langgraph_reference.py"

    let python: String
    let version: String
    let pythonVersion: String

    static func prepare(scratch: String) async throws -> LangGraphReference {
        guard FileManager.default.fileExists(atPath: Self.script) else {
            throw EngineBenchError.reference("\(Self.script) not found: run the benchmark from the repository root")
        }
        let python = try await ScratchPython.prepare(scratch + "/langgraph-venv", package: Self.package, module: "langgraph")
        let version = try await Shell.run([python, "-c", "import importlib.metadata as m; print(m.version('langgraph'))"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let pythonVersion = try await Shell.run([python, "-c", "import platform; print(platform.python_version())"]).trimmingCharacters(in: .whitespacesAndNewlines)
        return LangGraphReference(python: python, version: version, pythonVersion: pythonVersion)
    }

    /// Seconds per run for each graph, keyed like `EngineBenchGraph.name`.
    func measure(runs: Int) async throws -> [String: EngineBenchGraph.Measurement] {
        let output = try await Shell.run([python, Self.script, "--runs", String(runs)])
        guard let line = output.split(separator: "\n").last, let object = try? JSONDocumentReader.parse(String(line)).value.objectValue else {
            throw EngineBenchError.reference("unexpected output from \(Self.script): \(output.suffix(300))")
        }
        var rows: [String: EngineBenchGraph.Measurement] = [:]
        for (name, value) in object {
            guard let seconds = value[path: ["seconds_per_run"]]?.numberValue, let nodes = value[path: ["nodes"]]?.numberValue else { continue }
            rows[name] = EngineBenchGraph.Measurement(secondsPerRun: seconds, nodeCount: Int(nodes))
        }
        return rows
    }
}
