import LoomStore

/// Where semantic search over dataset versions runs: in an index per version in this process (exact or HNSW), or
/// in PostgreSQL through pgvector, for corpora larger than a server's memory. Full-text search is PostgreSQL's
/// either way, and the retrieval API is the same.
public enum VectorSearch: Sendable, Equatable, CustomStringConvertible {
    case inProcess
    case pgvector(version: String)

    /// `LOOM_VECTOR_SEARCH`.
    public enum Setting: String, Sendable, CaseIterable {
        /// pgvector where the extension is installed in Loom's database (`CREATE EXTENSION vector`), else in process.
        case auto
        case memory
        /// pgvector, installed in the database when it is only available; an error when PostgreSQL lacks it.
        case pgvector
    }

    public static func decide(_ setting: Setting, store: Store) async throws -> VectorSearch {
        switch setting {
        case .memory:
            return .inProcess
        case .pgvector:
            return .pgvector(version: try await store.datasets.enablePgvector())
        case .auto:
            guard try await store.datasets.pgvector().state == "installed" else { return .inProcess }
            return .pgvector(version: try await store.datasets.enablePgvector())
        }
    }

    public var description: String {
        switch self {
        case .inProcess: return "in-process"
        case .pgvector(let version): return "pgvector \(version)"
        }
    }
}
