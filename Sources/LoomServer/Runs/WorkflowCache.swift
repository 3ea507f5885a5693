import LoomStore
import LoomWorkflow
import Synchronization

/// Loaded workflows by app and version. Versions are immutable, so an entry never goes stale.
final class WorkflowCache: Sendable {
    private struct Key: Hashable {
        var app: Int
        var version: Int
    }

    private let entries = Mutex<[Key: Workflow]>([:])
    private let store: Store
    private let loader: WorkflowLoader

    init(store: Store, loader: WorkflowLoader) {
        self.store = store
        self.loader = loader
    }

    func workflow(app: AppAccess, version: Int) async throws -> Workflow {
        let key = Key(app: app.appId, version: version)
        if let cached = entries.withLock({ $0[key] }) { return cached }
        let record = try await store.apps.version(appId: app.appId, slug: app.slug, version)
        let workflow: Workflow
        do {
            // A Dify version runs the Loom workflow it was mapped onto when deployed.
            let text = record.format == "dify" ? record.canonicalJSON : record.source
            workflow = try loader.load(text ?? "", file: "\(app.slug)@\(version).\(record.format)", format: record.format == "yaml" ? .yaml : .json)
        } catch {
            throw APIError(
                .serviceUnavailable, "app_unavailable",
                "version \(version) of '\(app.slug)' no longer loads: \(error.diagnostics.map(\.description).joined(separator: "; "))")
        }
        entries.withLock { $0[key] = workflow }
        return workflow
    }
}
