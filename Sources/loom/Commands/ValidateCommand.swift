import ArgumentParser
import LoomConnectors
import LoomWorkflow

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check workflow files; print each problem as FILE:LINE:COLUMN: message.")

    @Argument(help: "Workflow files (YAML or JSON; Dify DSL files too).")
    var files: [String]

    @OptionGroup var models: ModelsOption

    @OptionGroup var map: DifyMapOption
    @OptionGroup var tools: ToolsOption

    func run() async throws {
        var loader = try map.checkingLoader(models: models)
        // Validation reads the tools file to know the tools' names and parameters; it calls none of them.
        loader.tools = try await tools.withRegistry(policy: HTTPPolicy()) { registry, _ in registry }
        var failed = false
        for file in files {
            do {
                let workflow = try WorkflowFile.load(file, loader: loader)
                print("\(file): ok (\(workflow.app), \(workflow.graph.nodes.count) nodes)")
                if let report = workflow.difyReport {
                    print("  Dify DSL \(report.difyVersion) (\(report.mode)): \(report.mapped.values.reduce(0, +)) nodes mapped, \(report.unmapped.count) not")
                    for node in report.unmapped { print("  node '\(node.nodeId)' (\(node.difyType)) not mapped: \(node.reason)") }
                }
            } catch {
                failed = true
                for diagnostic in error.diagnostics { print(diagnostic) }
            }
        }
        if failed { throw ExitCode(1) }
    }
}
