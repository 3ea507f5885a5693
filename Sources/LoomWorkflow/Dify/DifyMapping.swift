/// How names in a Dify DSL become Loom names: Dify's model `provider/name` (or `name`) to a model of the models
/// file, and Dify's dataset ids to Loom datasets. A Dify dataset id that is already a Loom dataset's name maps to
/// it; an unmapped model becomes `default`.
public struct DifyMapping: Sendable {
    public var models: [String: String]
    public var datasets: [String: String]

    public init(models: [String: String] = [:], datasets: [String: String] = [:]) {
        self.models = models
        self.datasets = datasets
    }

    /// Reads a mapping file: `{models: {PROVIDER/NAME: loom-model}, datasets: {DIFY_ID: loom-dataset}}`.
    public static func parse(_ text: String, file: String) throws(WorkflowLoadError) -> DifyMapping {
        let document: SourceNode
        do {
            document = try DocumentFormat.detect(fileName: file, text: text).parse(text)
        } catch {
            throw WorkflowLoadError(diagnostics: [Diagnostic(file: file, location: error.location, message: error.message)])
        }
        var mapping = DifyMapping()
        var problems: [Diagnostic] = []
        guard case .mapping(let entries) = document.kind else {
            throw WorkflowLoadError(diagnostics: [Diagnostic(file: file, location: document.location, message: "a Dify mapping file is a mapping with 'models' and 'datasets'")])
        }
        for entry in entries {
            guard entry.key == "models" || entry.key == "datasets" else {
                problems.append(Diagnostic(file: file, location: entry.keyLocation, message: "unknown key '\(entry.key)'; expected models, datasets"))
                continue
            }
            guard case .mapping(let pairs) = entry.value.kind else {
                problems.append(Diagnostic(file: file, location: entry.value.location, message: "'\(entry.key)' maps Dify names to Loom names"))
                continue
            }
            for pair in pairs {
                guard let name = pair.value.value.stringValue else {
                    problems.append(Diagnostic(file: file, location: pair.value.location, message: "'\(pair.key)' must map to a name"))
                    continue
                }
                if entry.key == "models" { mapping.models[pair.key] = name } else { mapping.datasets[pair.key] = name }
            }
        }
        guard problems.isEmpty else { throw WorkflowLoadError(diagnostics: problems) }
        return mapping
    }

    /// From JSON `{models: {…}, datasets: {…}}` (what `loom apps deploy --map` sends).
    public init(value: Value) {
        let strings = { (key: String) in (value.objectValue?[key]?.objectValue ?? [:]).compactMapValues(\.stringValue) }
        self.init(models: strings("models"), datasets: strings("datasets"))
    }

    /// Entries of `other` win.
    public func merging(_ other: DifyMapping) -> DifyMapping {
        DifyMapping(
            models: models.merging(other.models) { _, new in new }, datasets: datasets.merging(other.datasets) { _, new in new })
    }

    /// The Loom model for a Dify model, or nil when neither `provider/name` nor `name` is mapped.
    func model(provider: String, name: String) -> String? {
        models["\(provider)/\(name)"] ?? models[name] ?? models[provider.split(separator: "/").last.map { "\($0)/\(name)" } ?? name]
    }

    public var value: Value {
        ["models": .object(models.mapValues(Value.string)), "datasets": .object(datasets.mapValues(Value.string))]
    }
}
