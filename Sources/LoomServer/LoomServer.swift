import Foundation
import Hummingbird
import Logging
import LoomConnectors
import LoomKnowledge
import LoomMCP
import LoomSandbox
import LoomStore
import LoomWorkflow
import ServiceLifecycle

/// `loom serve`: migrates the database, settles the admin token, and serves the REST API until shut down.
public struct LoomServer: Sendable {
    public var configuration: ServerConfiguration
    public var catalog: ModelCatalog
    public var logger: Logger

    /// Database connections a server keeps open however idle it is: one for each notification listener, one for each
    /// of the run journal's concurrent writes and one for everything else. The pool hands out the first free
    /// connection; those past its minimum start an idle timer (three tasks and a libdispatch timer) every time they
    /// are handed back, which under load is every write.
    public static let standingDatabaseConnections = NotificationListener.perServer + RunJournal.concurrentWrites + 1
    /// Batches of finished runs the server writes at once (`loom bench http` gives its stack floor the same).
    public static let concurrentRunWrites = RunJournal.concurrentWrites

    public init(configuration: ServerConfiguration, catalog: ModelCatalog, logger: Logger = Logger(label: "loom.server")) {
        self.configuration = configuration
        self.catalog = catalog
        self.logger = logger
    }

    /// Runs until the task is cancelled or the service group it runs in shuts down gracefully.
    /// `onListening` gets the bound port (useful with port 0) and, when one was generated, the new admin token.
    public func run(
        store: Store, onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in },
        showAdminToken: @escaping @Sendable (String) -> Void = { print("admin token (shown once; keep it): \($0)") }
    ) async throws {
        let migrations = try Migration.load(from: configuration.migrationsDirectory)
        let applied = try await MigrationRunner(client: store.client, logger: logger).migrate(migrations)
        if !applied.isEmpty { logger.info("migrated", metadata: ["applied": "\(applied)"]) }
        let adminHash = try await AdminToken.prepare(configured: configuration.adminToken, store: store, logger: logger, show: showAdminToken)
        let vectorSearch = try await VectorSearch.decide(configuration.vectorSearch, store: store)
        logger.info("semantic search", metadata: ["runs": "\(vectorSearch)"])

        let models = OpenAICompatibleProvider(catalog: catalog)
        let fetcher = NetworkHTTPFetcher()
        defer {
            Task {
                await models.shutdown()
                await fetcher.shutdown()
            }
        }
        let policy = HTTPPolicy(allowPrivateNetworks: configuration.allowPrivateNetworks)
        var tools = ToolSet(fetcher: fetcher, policy: policy)
        if let path = configuration.toolsFile {
            let file = try ToolsFile(text: try String(contentsOfFile: path, encoding: .utf8), file: path)
            tools = try await ToolSet.open(file, path: path, fetcher: fetcher, policy: policy)
            logger.info("tools loaded", metadata: ["file": "\(path)", "tools": "\(tools.registry.names.count)"])
        }
        let loopback = LoopbackGateway()
        let application = makeApplication(
            store: store, adminHash: adminHash, vectorSearch: vectorSearch, models: models, fetcher: fetcher, tools: tools.registry,
            loopback: loopback, onListening: onListening)
        do {
            try await application.run()
        } catch {
            await tools.close()
            await loopback.shutdown()
            throw error
        }
        await tools.close()
        await loopback.shutdown()
    }

    func makeApplication(
        store: Store, adminHash: String, vectorSearch: VectorSearch, models: OpenAICompatibleProvider, fetcher: NetworkHTTPFetcher, tools: ToolRegistry,
        loopback: LoopbackGateway, onListening: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let serverId = UUID()
        let metrics = ServerMetrics()
        let active = ActiveRuns(limitPerApp: configuration.maxConcurrentRunsPerApp)
        let loader = WorkflowLoader(tools: tools, modelNames: catalog.names)
        let retriever = DatasetRetriever(
            store: store, embedder: models, vectorSearch: vectorSearch, exactLimit: configuration.exactSearchLimit, hnsw: configuration.hnsw)
        let services = EngineServices(
            models: models, http: fetcher, knowledge: retriever, samples: StoreSampleSink(store: store),
            code: SandboxedCodeRunner(configuration: configuration.code), documents: DocumentText(), tools: tools,
            httpPolicy: HTTPPolicy(allowPrivateNetworks: configuration.allowPrivateNetworks), logger: logger)
        let engine = WorkflowEngine(services: services, limits: configuration.runLimits)
        let journal = RunJournal(store: store, checkpointAfter: configuration.checkpointAfter, logger: logger)
        let runner = AppRunner(
            store: store, journal: journal, engine: engine, workflows: WorkflowCache(store: store, loader: loader), active: active, metrics: metrics,
            configuration: configuration, serverId: serverId, logger: logger)
        let cache = AccessCache()
        let auth = Authenticator(store: store, adminTokenHash: adminHash, cache: cache)
        let service = ServiceAPIController(auth: auth, runner: runner, store: store, configuration: configuration, metrics: metrics)
        let chat = ChatController(auth: auth, runner: runner, store: store, configuration: configuration, metrics: metrics,
            annotations: AnnotationMatcher(store: store, embedder: models))
        let admin = AdminController(
            auth: auth, changes: AccessChanges(store: store, cache: cache), store: store, loader: loader, models: models, configuration: configuration, service: service, chat: chat)
        let document = DocumentBox()
        let operations = OperationsController(store: store, models: models, vectorSearch: vectorSearch, metrics: metrics) { document.value }
        let datasets = DatasetController(auth: auth, store: store, models: models, retriever: retriever, configuration: configuration)
        let knowledge = KnowledgeAPIController(auth: auth, store: store, datasets: datasets, configuration: configuration)
        let samples = SampleController(auth: auth, store: store, configuration: configuration)
        let fineTuning = FineTuningController(auth: auth, store: store, configuration: configuration)
        let mcp = MCPController(auth: auth, loopback: loopback, configuration: configuration)
        let endpoints = LoomRoutes.endpoints(
            service: service, chat: chat, admin: admin, datasets: datasets, knowledge: knowledge, samples: samples, fineTuning: fineTuning,
            operations: operations, mcp: mcp)
        document.value = OpenAPIDocument.build(endpoints)

        let router = Router(context: LoomRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        for endpoint in endpoints {
            router.on(RouterPath(endpoint.routerPath), method: endpoint.method, use: endpoint.handler)
        }
        let logger = self.logger
        let port = configuration.port
        let host = configuration.host
        let presence = ServerPresence(
            store: store, serverId: serverId, interval: configuration.heartbeatInterval, staleAfter: configuration.staleServerAfter, logger: logger)
        let listeners: [any Service] = NotificationListener.all(store, active: active, cache: cache, retriever: retriever)
        let background: [any Service] = [presence] + listeners + [ImportJobRunner(store: store, embedder: models, logger: logger), journal]
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: port), serverName: "Loom"),
            services: background,
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                loopback.listening(host: host, port: bound)
                logger.info("Loom is listening", metadata: ["port": "\(bound)"])
                await onListening(bound)
            },
            logger: logger)
    }
}

/// The OpenAPI document, built once the routes exist.
private final class DocumentBox: @unchecked Sendable {
    // Written once before the server starts, only read afterwards.
    var value: Value = .null
}
