import Foundation
import LoomWorkflow
import Synchronization

/// The benchmark's graphs, written as workflow YAML so the real loader and engine run them.
struct EngineBenchGraph {
    struct Measurement {
        var secondsPerRun: Double
        var nodeCount: Int
        var microsecondsPerNode: Double { secondsPerRun * 1e6 / Double(nodeCount) }
        var runsPerSecond: Double { 1 / secondsPerRun }
    }

    let name: String
    let nodeCount: Int
    let yaml: String

    /// n1 → n2 → … → nN, each template reading the one before.
    static func chain(length: Int) -> EngineBenchGraph {
        var yaml = "app: bench-chain\ninputs: {x: {type: text, default: v}}\nnodes:\n"
        for index in 1...length {
            let source = index == 1 ? "inputs.x" : "n\(index - 1).output"
            let next = index < length ? ", next: n\(index + 1)" : ""
            yaml += "  - {id: n\(index), type: template, template: \"n\(index):{{ \(source) }}\"\(next)}\n"
        }
        return EngineBenchGraph(name: "chain-\(length)", nodeCount: length, yaml: yaml)
    }

    /// root → b1…bW in parallel → join, which reads every branch.
    static func fanOut(width: Int) -> EngineBenchGraph {
        let branches = (1...width).map { "b\($0)" }
        var yaml = "app: bench-fan\ninputs: {x: {type: text, default: v}}\nnodes:\n"
        yaml += "  - {id: root, type: template, template: \"root:{{ inputs.x }}\", next: [\(branches.joined(separator: ", "))]}\n"
        for branch in branches {
            yaml += "  - {id: \(branch), type: template, template: \"\(branch):{{ root.output }}\", next: join}\n"
        }
        yaml += "  - {id: join, type: template, template: \"\(branches.map { "{{ \($0).output }}" }.joined(separator: ","))\"}\n"
        return EngineBenchGraph(name: "fan-out-\(width)", nodeCount: width + 2, yaml: yaml)
    }

    func measureLoom(runs: Int) async throws -> Measurement {
        let workflow = try WorkflowLoader().load(yaml, file: "\(name).yaml")
        let engine = WorkflowEngine()
        let events = Atomic<Int>(0)
        var samples: [Double] = []
        for round in 0..<(20 + runs) {
            let start = ContinuousClock.now
            let result = try await engine.run(workflow, inputs: [:]) { _ in events.wrappingAdd(1, ordering: .relaxed) }
            let elapsed = ContinuousClock.now - start
            guard result.status == .succeeded else { throw EngineBenchError.runFailed(name, result.error ?? "") }
            if round >= 20 { samples.append(elapsed.seconds) }
        }
        samples.sort()
        return Measurement(secondsPerRun: samples[samples.count / 2], nodeCount: nodeCount)
    }
}

enum EngineBenchError: Error, CustomStringConvertible {
    case runFailed(String, String)
    case reference(String)

    var description: String {
        switch self {
        case .runFailed(let graph, let error): return "the \(graph) run failed: \(error)"
        case .reference(let message): return message
        }
    }
}
