import LoomWorkflow

/// The models file (`models.yaml`): names workflows use, each mapped to an OpenAI-compatible endpoint.
///
/// ```yaml
/// default: local
/// models:
///   local:
///     base_url: http://127.0.0.1:8700/v1
///     model: smollm2-135m
///     api_key_env: OPENAI_API_KEY     # optional: the key is read from this environment variable
///     connect_timeout_s: 5
///     read_timeout_s: 120
/// ```
public struct ModelCatalog: Sendable {
    public var endpoints: [String: ModelEndpoint]
    /// The name `default` stands for.
    public var defaultName: String?

    public init(endpoints: [String: ModelEndpoint], defaultName: String?) {
        self.endpoints = endpoints
        self.defaultName = defaultName
    }

    /// Names workflows may use, `default` included when set.
    public var names: [String] {
        var names = Array(endpoints.keys)
        if defaultName != nil, endpoints["default"] == nil { names.append("default") }
        return names.sorted()
    }

    /// The endpoint of a name; a fine-tuned model (`BASE:ft-SUFFIX`) goes to its base's endpoint, asking it for
    /// the base's served model with the same `:ft-SUFFIX`.
    public func endpoint(named name: String) -> ModelEndpoint? {
        if let endpoint = endpoints[name] { return endpoint }
        if name == "default", let defaultName { return endpoints[defaultName] }
        if let base = FineTunedModelName.base(of: name), var endpoint = endpoint(named: base) {
            endpoint.model += String(name.dropFirst(base.count))
            return endpoint
        }
        return nil
    }

    /// Where the bundled worker pool listens unless a models file says otherwise.
    public static let bundled = ModelCatalog(
        endpoints: ["smollm2-135m": ModelEndpoint(name: "smollm2-135m", baseURL: "http://127.0.0.1:8700/v1", model: "smollm2-135m")],
        defaultName: "smollm2-135m")

    public static func parse(_ text: String, file: String, environment: [String: String]) throws(WorkflowLoadError) -> ModelCatalog {
        var problems: [Diagnostic] = []
        let fail = { (message: String, location: SourceLocation) in problems.append(Diagnostic(file: file, location: location, message: message)) }
        let document: SourceNode
        do {
            document = try DocumentFormat.detect(fileName: file, text: text).parse(text)
        } catch {
            throw WorkflowLoadError(diagnostics: [Diagnostic(file: file, location: error.location, message: error.message)])
        }
        guard case .mapping(let top) = document.kind else {
            throw WorkflowLoadError(diagnostics: [Diagnostic(file: file, location: document.location, message: "a models file is a mapping with 'models' and 'default'")])
        }
        var catalog = ModelCatalog(endpoints: [:], defaultName: nil)
        var defaultLocation = document.location
        for entry in top {
            switch entry.key {
            case "default":
                catalog.defaultName = entry.value.value.stringValue
                defaultLocation = entry.value.location
            case "models":
                guard case .mapping(let models) = entry.value.kind else {
                    fail("'models' must map model names to {base_url, model}", entry.value.location)
                    continue
                }
                for model in models {
                    if let endpoint = ModelEndpoint.parse(model, environment: environment, fail: fail) { catalog.endpoints[model.key] = endpoint }
                }
            default:
                fail("unknown key '\(entry.key)'; expected default, models", entry.keyLocation)
            }
        }
        if let name = catalog.defaultName, catalog.endpoints[name] == nil {
            fail("'default' names '\(name)', which is not under 'models'", defaultLocation)
        }
        guard problems.isEmpty else { throw WorkflowLoadError(diagnostics: problems) }
        return catalog
    }
}

/// One OpenAI-compatible endpoint and the model id to ask it for.
public struct ModelEndpoint: Sendable {
    public var name: String
    /// Up to and including `/v1`.
    public var baseURL: String
    public var model: String
    public var apiKey: String?
    public var connectTimeout: Duration
    public var readTimeout: Duration

    public init(
        name: String, baseURL: String, model: String, apiKey: String? = nil, connectTimeout: Duration = .seconds(5),
        readTimeout: Duration = .seconds(120)
    ) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
    }

    static func parse(_ entry: SourceEntry, environment: [String: String], fail: (String, SourceLocation) -> Void) -> ModelEndpoint? {
        guard case .mapping(let fields) = entry.value.kind else {
            fail("model '\(entry.key)' must be a mapping {base_url, model}", entry.value.location)
            return nil
        }
        var values: [String: SourceNode] = [:]
        let allowed = ["base_url", "model", "api_key_env", "connect_timeout_s", "read_timeout_s"]
        for field in fields {
            if allowed.contains(field.key) { values[field.key] = field.value } else {
                fail("unknown key '\(field.key)' in model '\(entry.key)'; allowed: \(allowed.joined(separator: ", "))", field.keyLocation)
            }
        }
        guard let baseURL = values["base_url"]?.value.stringValue, baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            fail("model '\(entry.key)' needs 'base_url', an http(s) URL such as http://127.0.0.1:8700/v1", entry.value.location)
            return nil
        }
        var endpoint = ModelEndpoint(name: entry.key, baseURL: baseURL, model: values["model"]?.value.stringValue ?? entry.key)
        if let variable = values["api_key_env"]?.value.stringValue {
            endpoint.apiKey = environment[variable]
        }
        if let seconds = values["connect_timeout_s"]?.value.numberValue, seconds > 0 { endpoint.connectTimeout = .milliseconds(Int(seconds * 1000)) }
        if let seconds = values["read_timeout_s"]?.value.numberValue, seconds > 0 { endpoint.readTimeout = .milliseconds(Int(seconds * 1000)) }
        return endpoint
    }
}
