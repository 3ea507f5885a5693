import ArgumentParser
import Foundation
import LoomWorkflow

struct EngineBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Per-node overhead and runs per second on a 100-node template chain and a 50-wide fan-out/fan-in, next to LangGraph.")

    @Option(help: "Measured runs per graph (after 20 warm-up runs).")
    var runs = 300

    @Flag(help: "Skip the LangGraph reference (it installs LangGraph into a scratch virtual environment).")
    var skipReference = false

    @Option(help: "Where the scratch virtual environment for the reference lives.")
    var scratch = ".loom/bench"

    func run() async throws {
        BenchBuild.warnIfDebug()
        let graphs = [EngineBenchGraph.chain(length: 100), EngineBenchGraph.fanOut(width: 50)]
        var loomRows: [String: EngineBenchGraph.Measurement] = [:]
        for graph in graphs {
            loomRows[graph.name] = try await graph.measureLoom(runs: runs)
        }
        var referenceRows: [String: EngineBenchGraph.Measurement] = [:]
        var referenceNote = "skipped (--skip-reference)"
        if !skipReference {
            do {
                let reference = try await LangGraphReference.prepare(scratch: scratch)
                referenceRows = try await reference.measure(runs: runs)
                referenceNote = "LangGraph \(reference.version), Python \(reference.pythonVersion), default executor"
            } catch {
                referenceNote = "unavailable: \(error)"
            }
        }
        print("Engine benchmark: median of \(runs) runs after 20 warm-up runs, in-process, every event built and delivered")
        print("Loom: Swift concurrency on \(ProcessInfo.processInfo.activeProcessorCount) cores · reference: \(referenceNote)")
        print("")
        let header = ["graph", "nodes", "loom µs/node", "loom runs/s", "ref µs/node", "ref runs/s", "loom ÷ ref runs/s"]
        var table = [header]
        for graph in graphs {
            let loom = loomRows[graph.name]!
            var row = [graph.name, String(graph.nodeCount), format(loom.microsecondsPerNode), format(loom.runsPerSecond)]
            if let reference = referenceRows[graph.name] {
                row += [format(reference.microsecondsPerNode), format(reference.runsPerSecond), String(format: "%.1f×", loom.runsPerSecond / reference.runsPerSecond)]
            } else {
                row += ["–", "–", "–"]
            }
            table.append(row)
        }
        let widths = header.indices.map { column in table.map { $0[column].count }.max()! }
        for row in table {
            print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    private func format(_ number: Double) -> String {
        number >= 100 ? String(format: "%.0f", number) : String(format: "%.2f", number)
    }
}
