import ArgumentParser
import LoomInference

/// Loads a registry model for the commands that run the engine in-process.
enum LocalModels {
    static func entry(_ name: String, kind: ModelRegistry.Kind) throws -> (ModelRegistry, ModelRegistry.Entry) {
        let registry = try ModelRegistry.load()
        guard let entry = registry.entry(name) else {
            throw ValidationError("unknown model '\(name)'; the registry has: \(registry.entries.map(\.name).joined(separator: ", "))")
        }
        guard entry.kind == kind else { throw ValidationError("'\(name)' is a \(entry.kind.rawValue) model, not \(kind.rawValue)") }
        guard registry.isInstalled(entry) else { throw ValidationError("model '\(name)' is not installed: run `loom models pull`") }
        return (registry, entry)
    }

    static func llama(_ name: String) throws -> LlamaModel {
        let (registry, entry) = try entry(name, kind: .chat)
        return try LlamaModel(path: registry.location(of: entry))
    }

    static func encoder(_ name: String, pool: ComputePool) throws -> BertEncoder {
        let (registry, entry) = try entry(name, kind: .embedding)
        return try BertEncoder(directory: registry.location(of: entry), pool: pool)
    }
}
