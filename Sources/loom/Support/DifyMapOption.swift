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
}
