import LoomKnowledge
import Foundation
import LoomConnectors
import LoomSandbox
import LoomWorkflow

/// How `loom serve` runs: where it listens, its limits and timings. Every field has a default that runs, and
/// each can be set from the environment (names in `init(environment:)`).
public struct ServerConfiguration: Sendable {
    public enum DisconnectPolicy: String, Sendable {
        /// A run whose streaming client went away finishes anyway and is recorded.
        case `continue`
        /// It is cancelled, and recorded as stopped.
        case cancel
    }

    public var host = "127.0.0.1"
    public var port = 8080
    public var maxBodyBytes = 1 << 20
    /// Largest document file one dataset upload may be (stored in parts as it arrives, never whole in memory, but
    /// for Dify's multipart upload, which is parsed in memory).
    public var maxUploadBytes = 64 << 20
    public var maxConcurrentRunsPerApp = 64
    public var runLimits = RunLimits.default
    public var onDisconnect = DisconnectPolicy.continue
    /// A blocking run that lasts longer than this is recorded as running, so it can be watched and stopped.
    public var checkpointAfter: Duration = .milliseconds(250)
    public var heartbeatInterval: Duration = .seconds(5)
    /// Runs of a server silent for this long are failed.
    public var staleServerAfter: Duration = .seconds(30)
    public var pingInterval: Duration = .seconds(10)
    public var allowPrivateNetworks = false
    /// The tools file (`LOOM_TOOLS`, else `./tools.yaml` when present): tools beyond the built-ins.
    public var toolsFile: String?
    /// Fixed admin token; when nil the stored one is used, or one is generated and printed once.
    public var adminToken: String?
    public var migrationsDirectory = "migrations"
    /// Dataset versions up to this many chunks are searched exactly; larger ones through an HNSW graph.
    public var exactSearchLimit = 20_000
    public var hnsw = HNSWIndex.Parameters()
    /// Where semantic search runs: `auto` takes pgvector where the database has it installed (docs/operations.md).
    public var vectorSearch = VectorSearch.Setting.auto
    /// The sandbox of code nodes (`LOOM_CODE_*`).
    public var code = SandboxedCodeRunner.Configuration.from(environment: [:])

    public init() {}

    /// Reads `LOOM_HOST`, `LOOM_PORT`, `LOOM_MAX_BODY_KB`, `LOOM_MAX_UPLOAD_MB`, `LOOM_MAX_RUNS_PER_APP`, `LOOM_RUN_TIMEOUT_S`,
    /// `LOOM_ON_DISCONNECT` (continue|cancel), `LOOM_RUN_CHECKPOINT_MS`, `LOOM_HEARTBEAT_S`, `LOOM_SERVER_STALE_S`,
    /// `LOOM_PING_S`, `LOOM_HTTP_ALLOW_PRIVATE`, `LOOM_ADMIN_TOKEN`, `LOOM_MIGRATIONS`, `LOOM_EXACT_SEARCH_LIMIT`,
    /// `LOOM_HNSW_M`, `LOOM_HNSW_EF_CONSTRUCTION`, `LOOM_HNSW_EF_SEARCH`, `LOOM_VECTOR_SEARCH` (auto|memory|pgvector).
    public init(environment: [String: String]) throws(ConfigurationError) {
        func number(_ name: String) throws(ConfigurationError) -> Double? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Double(text), value > 0 else { throw ConfigurationError("\(name) must be a positive number, got '\(text)'") }
            return value
        }
        if let host = environment["LOOM_HOST"], !host.isEmpty { self.host = host }
        if let port = try number("LOOM_PORT") { self.port = Int(port) }
        if let kilobytes = try number("LOOM_MAX_BODY_KB") { maxBodyBytes = Int(kilobytes * 1024) }
        if let megabytes = try number("LOOM_MAX_UPLOAD_MB") { maxUploadBytes = Int(megabytes * 1024 * 1024) }
        if let runs = try number("LOOM_MAX_RUNS_PER_APP") { maxConcurrentRunsPerApp = Int(runs) }
        if let seconds = try number("LOOM_RUN_TIMEOUT_S") { runLimits.maxDuration = .milliseconds(Int(seconds * 1000)) }
        if let policy = environment["LOOM_ON_DISCONNECT"], !policy.isEmpty {
            guard let parsed = DisconnectPolicy(rawValue: policy) else { throw ConfigurationError("LOOM_ON_DISCONNECT must be continue or cancel, got '\(policy)'") }
            onDisconnect = parsed
        }
        if let milliseconds = try number("LOOM_RUN_CHECKPOINT_MS") { checkpointAfter = .milliseconds(Int(milliseconds)) }
        if let seconds = try number("LOOM_HEARTBEAT_S") { heartbeatInterval = .milliseconds(Int(seconds * 1000)) }
        if let seconds = try number("LOOM_SERVER_STALE_S") { staleServerAfter = .milliseconds(Int(seconds * 1000)) }
        if let seconds = try number("LOOM_PING_S") { pingInterval = .milliseconds(Int(seconds * 1000)) }
        allowPrivateNetworks = environment["LOOM_HTTP_ALLOW_PRIVATE"] == "1"
        toolsFile = ToolsFile.defaultPath(environment: environment)
        code = .from(environment: environment)
        if let token = environment["LOOM_ADMIN_TOKEN"], !token.isEmpty { adminToken = token }
        if let directory = environment["LOOM_MIGRATIONS"], !directory.isEmpty { migrationsDirectory = directory }
        if let limit = try number("LOOM_EXACT_SEARCH_LIMIT") { exactSearchLimit = Int(limit) }
        if let m = try number("LOOM_HNSW_M") { hnsw.m = max(2, Int(m)) }
        if let ef = try number("LOOM_HNSW_EF_CONSTRUCTION") { hnsw.efConstruction = Int(ef) }
        if let ef = try number("LOOM_HNSW_EF_SEARCH") { hnsw.efSearch = Int(ef) }
        if let search = environment["LOOM_VECTOR_SEARCH"], !search.isEmpty {
            guard let parsed = VectorSearch.Setting(rawValue: search) else {
                throw ConfigurationError("LOOM_VECTOR_SEARCH must be \(VectorSearch.Setting.allCases.map(\.rawValue).joined(separator: ", ")), got '\(search)'")
            }
            vectorSearch = parsed
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
