import ArgumentParser
import Foundation
import LoomConnectors
import LoomWorkflow

/// `--models FILE`, else `$LOOM_MODELS`, else `./models.yaml`, else the bundled worker pool's address.
struct ModelsOption: ParsableArguments {
    @Option(name: .long, help: "The models file (name → OpenAI-compatible endpoint). Default: $LOOM_MODELS, ./models.yaml, or the bundled worker pool.")
    var models: String?

    /// The file the catalog comes from, if any.
    var path: String? {
        if let models { return models }
        if let fromEnvironment = ProcessInfo.processInfo.environment["LOOM_MODELS"], !fromEnvironment.isEmpty { return fromEnvironment }
        return FileManager.default.fileExists(atPath: "models.yaml") ? "models.yaml" : nil
    }

    func catalog() throws(WorkflowLoadError) -> ModelCatalog {
        guard let path else { return .bundled }
        return try ModelCatalog.parse(try WorkflowFile.read(path), file: path, environment: ProcessInfo.processInfo.environment)
    }
}
