import ArgumentParser
import LoomWorkflow

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check workflow files; print each problem as FILE:LINE:COLUMN: message.")

    @Argument(help: "Workflow files (YAML or JSON).")
    var files: [String]

    @OptionGroup var models: ModelsOption

    func run() async throws {
        var loader = WorkflowLoader()
        // Model names are checked only against a models file the user has.
        if models.path != nil {
            do {
                loader.modelNames = try models.catalog().names
            } catch {
                for diagnostic in error.diagnostics { print(diagnostic) }
                throw ExitCode(1)
            }
        }
        var failed = false
        for file in files {
            do {
                let workflow = try WorkflowFile.load(file, loader: loader)
                print("\(file): ok (\(workflow.app), \(workflow.graph.nodes.count) nodes)")
            } catch {
                failed = true
                for diagnostic in error.diagnostics { print(diagnostic) }
            }
        }
        if failed { throw ExitCode(1) }
    }
}
