import ArgumentParser
import LoomWorkflow

/// `--map FILE`: how a Dify DSL's model names and dataset ids become Loom names.
struct DifyMapOption: ParsableArguments {
    @Option(name: .customLong("map"), help: "A Dify mapping file: {models: {PROVIDER/NAME: loom-model}, datasets: {DIFY_ID: loom-dataset}}.")
    var path: String?

    func mapping() throws(WorkflowLoadError) -> DifyMapping {
        guard let path else { return DifyMapping() }
        return try DifyMapping.parse(try WorkflowFile.read(path), file: path)
    }

    /// A loader for commands that check files: this mapping, and model names only from a models file the user
    /// has. Problems with either file are printed, and the command exits 1.
    func checkingLoader(models: ModelsOption) throws -> WorkflowLoader {
        var loader = WorkflowLoader()
        do {
            loader.difyMapping = try mapping()
            if models.path != nil { loader.modelNames = try models.catalog().names }
        } catch {
            for diagnostic in error.diagnostics { print(diagnostic) }
            throw ExitCode(1)
        }
        return loader
    }
}
