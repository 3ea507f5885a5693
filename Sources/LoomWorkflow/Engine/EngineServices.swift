import Logging

/// What nodes may reach outside the engine. Absent services make the nodes that need them fail with a clear error.
public struct EngineServices: Sendable {
    public var models: (any ModelProvider)?
    public var http: (any HTTPFetcher)?
    public var knowledge: (any KnowledgeRetriever)?
    public var samples: (any SampleSink)?
    public var code: (any CodeRunner)?
    public var documents: (any DocumentTextExtractor)?
    public var tools: ToolRegistry
    public var httpPolicy: HTTPPolicy
    public var logger: Logger

    public init(
        models: (any ModelProvider)? = nil, http: (any HTTPFetcher)? = nil, knowledge: (any KnowledgeRetriever)? = nil, samples: (any SampleSink)? = nil,
        code: (any CodeRunner)? = nil, documents: (any DocumentTextExtractor)? = nil, tools: ToolRegistry = .builtIn,
        httpPolicy: HTTPPolicy = HTTPPolicy(), logger: Logger = Logger(label: "loom.engine")
    ) {
        self.models = models
        self.http = http
        self.knowledge = knowledge
        self.samples = samples
        self.code = code
        self.documents = documents
        self.tools = tools
        self.httpPolicy = httpPolicy
        self.logger = logger
    }

    func requireModels() throws(NodeError) -> any ModelProvider {
        guard let models else { throw NodeError.serviceUnavailable("no model provider is configured (pass --models or set LOOM_MODELS)") }
        return models
    }

    func requireHTTP() throws(NodeError) -> any HTTPFetcher {
        guard let http else { throw NodeError.serviceUnavailable("outbound HTTP is not available in this process") }
        return http
    }
}
