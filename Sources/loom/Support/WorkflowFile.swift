import Foundation
import LoomWorkflow

/// Reading workflow files from disk for the commands.
enum WorkflowFile {
    static func read(_ path: String) throws(WorkflowLoadError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw WorkflowLoadError(diagnostics: [Diagnostic(file: path, location: .start, message: reason)])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WorkflowLoadError(diagnostics: [Diagnostic(file: path, location: .start, message: "the file is not UTF-8 text")])
        }
        return text
    }

    static func load(_ path: String, loader: WorkflowLoader) throws(WorkflowLoadError) -> Workflow {
        try loader.load(try read(path), file: path)
    }
}
