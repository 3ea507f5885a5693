import Foundation
import LoomInference
import LoomWorkflow
import Synchronization

/// The fine-tuned adapters a worker serves: PEFT directories under the adapters directory, named after their
/// models (`smollm2-135m:ft-support`), loaded on first use and kept, so several adapters share one loaded base.
/// Jobs that finish later add directories, which the next request finds.
public final class AdapterCatalog: Sendable {
    public let directory: String
    private let loaded = Mutex<[String: ServedAdapter]>([:])

    public init(directory: String) {
        self.directory = directory
    }

    /// The names with an adapter on disk.
    public func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter {
            FineTunedModelName.base(of: $0) != nil && FileManager.default.fileExists(atPath: directory + "/" + $0 + "/" + PEFTAdapter.configurationFile)
        }.sorted()
    }

    /// The adapter for a fine-tuned model's name over `model`; nil when there is none on disk.
    public func adapter(named name: String, for model: LlamaModel) throws -> ServedAdapter? {
        if let known = loaded.withLock({ $0[name] }) { return known }
        let path = directory + "/" + name
        guard FileManager.default.fileExists(atPath: path + "/" + PEFTAdapter.configurationFile) else { return nil }
        let served = ServedAdapter(name: name, adapter: try PEFTAdapter.load(from: path, configuration: model.configuration))
        return loaded.withLock { loaded in
            if let raced = loaded[name] { return raced }
            loaded[name] = served
            return served
        }
    }
}
