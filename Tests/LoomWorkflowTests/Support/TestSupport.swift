import Foundation
import LoomWorkflow
import Synchronization

enum TestFiles {
    /// The repository root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func example(_ name: String) throws -> Workflow {
        let path = root.appendingPathComponent("workflows/\(name)").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try WorkflowLoader(tools: tools, modelNames: ["default"]).load(text, file: "workflows/\(name)")
    }

    /// The built-ins and, by name only, `web_page` (built in where there is an HTTP stack) and the OpenAPI tool of
    /// deploy/tools.yaml the agent example uses: this module loads workflows without the HTTP stack (LoomServerTests
    /// and LoomConnectorsTests call the real tools).
    static let tools = ToolRegistry(ToolRegistry.builtIn.all + [
        DeclaredTool(name: "exchange_latest"),
        DeclaredTool(name: "web_page", parameters: [ToolParameter("url", .string, description: "the page's URL"), ToolParameter("max_chars", .integer, required: false, description: "at most")]),
    ])
}

/// A tool known by name so that a workflow naming it loads; calling it is an error.
struct DeclaredTool: Tool {
    let name: String
    var parameters: [ToolParameter] = []
    var description: String { "declared for loading only" }

    func call(_ arguments: [String: Value]) async throws -> Value {
        throw ToolError.failed("'\(name)' is only declared here")
    }
}

func load(_ yaml: String, file: String = "test.yaml", models: [String]? = ["default"]) throws -> Workflow {
    try WorkflowLoader(modelNames: models).load(yaml, file: file)
}

/// The diagnostics a document produces; empty when it loads.
func problems(_ text: String, file: String = "test.yaml") -> [Diagnostic] {
    do {
        _ = try WorkflowLoader(modelNames: ["default"]).load(text, file: file)
        return []
    } catch {
        return error.diagnostics
    }
}

struct RecordedRun {
    var result: RunResult
    var events: [RunEvent]

    var names: [String] { events.map(\.name) }

    func finished(_ node: String) -> [NodeOutcome] {
        events.compactMap { event in
            if case .nodeFinished(let execution, let outcome) = event.kind, execution.nodeId == node { return outcome }
            return nil
        }
    }

    var textChunks: [String] {
        events.compactMap { event in
            if case .textChunk(let text, _) = event.kind { return text }
            return nil
        }
    }
}

func record(
    _ workflow: Workflow, inputs: [String: Value] = [:], models: (any ModelProvider)? = ScriptedModelProvider(),
    http: (any HTTPFetcher)? = nil, knowledge: (any KnowledgeRetriever)? = nil, samples: (any SampleSink)? = nil, code: (any CodeRunner)? = nil,
    limits: RunLimits = .default, context: RunContext = RunContext()
) async throws -> RecordedRun {
    let events = Mutex<[RunEvent]>([])
    let engine = WorkflowEngine(services: EngineServices(models: models, http: http, knowledge: knowledge, samples: samples, code: code), limits: limits)
    let result = try await engine.run(workflow, inputs: inputs, context: context) { event in events.withLock { $0.append(event) } }
    return RecordedRun(result: result, events: events.withLock { $0 })
}
