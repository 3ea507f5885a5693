import LoomStore
import LoomWorkflow

/// Checks a workflow document as `loom validate` does and turns it into a version for the store. The version's
/// identity is the SHA-256 of its canonical JSON: reformatting a file does not make a new version.
enum WorkflowDeployment {
    static func submission(text: String, file: String, author: String, message: String, loader: WorkflowLoader) throws -> (VersionSubmission, Workflow) {
        let format = DocumentFormat.detect(fileName: file, text: text)
        let workflow: Workflow
        do {
            workflow = try loader.load(text, file: file, format: format)
        } catch {
            throw APIError(
                .unprocessableContent, "invalid_workflow", "\(file) has \(error.diagnostics.count) problem(s)",
                extra: ["errors": .array(error.diagnostics.map { .string($0.description) })])
        }
        let canonical = workflow.canonicalJSON
        let submission = VersionSubmission(
            slug: workflow.app, name: workflow.name, mode: workflow.mode.rawValue, description: workflow.description, source: text,
            format: workflow.difyReport != nil ? "dify" : (format == .json ? "json" : "yaml"), canonicalJSON: canonical, sha256: Secret.hash(canonical), author: author, message: message)
        return (submission, workflow)
    }
}
