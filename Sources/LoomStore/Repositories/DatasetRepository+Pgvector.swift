import LoomWorkflow
import PostgresNIO

/// Semantic search in PostgreSQL through the pgvector extension, for corpora larger than a server's memory: the
/// chunks keep their vectors as `real[]`, which pgvector casts to `vector`, so no data moves to switch it on.
extension DatasetRepository {
    /// Whether this PostgreSQL offers pgvector: `installed` (in this database), `available` (`CREATE EXTENSION
    /// vector` would work), or `absent`, with the version when there is one.
    public func pgvector() async throws -> (state: String, version: String?) {
        try await store.perform {
            let rows = try await store.client.query(
                "SELECT installed_version, default_version FROM pg_available_extensions WHERE name = 'vector'", logger: store.logger)
            for try await (installed, available) in rows.decode((String?, String?).self) {
                return installed.map { ("installed", $0) } ?? ("available", available)
            }
            return ("absent", nil)
        }
    }

    /// Readies this database for search through pgvector and returns the extension's version: installs the
    /// extension when it is only available, and gives chunks a stored `vector` copy of their embedding (casting
    /// `real[]` on every query made a scan five times slower). The first call on a large table rewrites it once.
    /// Absent, it is an error that says what to install.
    public func enablePgvector() async throws -> String {
        let offered = try await pgvector()
        guard offered.state != "absent" else {
            throw StoreError.invalidConfiguration(
                "LOOM_VECTOR_SEARCH=pgvector, but this PostgreSQL does not offer the pgvector extension: install it on the database server (https://github.com/pgvector/pgvector), or set LOOM_VECTOR_SEARCH=memory")
        }
        _ = try await store.perform {
            // Only when something is missing: ALTER TABLE locks the chunks table even when the column is there, and
            // every server start in `auto` comes here.
            let ready = try await store.client.query(
                """
                SELECT count(*)::int FROM pg_attribute
                WHERE attrelid = 'chunks'::regclass AND attname = 'embedding_vector' AND NOT attisdropped
                """, logger: store.logger
            ).decode(Int.self).reduce(0, +)
            guard offered.state != "installed" || ready == 0 else { return }
            try await store.client.withTransaction(logger: store.logger) { connection in
                try await connection.query("CREATE EXTENSION IF NOT EXISTS vector", logger: store.logger)
                try await connection.query(
                    "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS embedding_vector vector GENERATED ALWAYS AS (embedding::vector) STORED",
                    logger: store.logger)
            }
        }
        return try await pgvector().version ?? ""
    }

    /// The `limit` chunks of version `number` nearest `vector` by cosine, best first, among those whose metadata
    /// contains `filters`; an exact scan of the version's chunks, so versions and filters never cost recall (an
    /// HNSW index filtered afterwards by version could return fewer than `limit`). Needs `enablePgvector()` first.
    public func nearest(
        _ dataset: DatasetRecord, version number: Int, to vector: [Float], limit: Int, filters: [String: Value] = [:]
    ) async throws -> [(id: Int64, score: Double)] {
        try await store.perform {
            var results: [(Int64, Double)] = []
            for try await row in try await store.client.query(
                """
                SELECT c.id, (1 - (c.embedding_vector <=> q.v))::float8 AS score
                FROM dataset_version_documents v JOIN chunks c ON c.document_version_id = v.document_version_id,
                     (SELECT \(vector)::real[]::vector AS v) q
                WHERE v.dataset_id = \(dataset.id) AND v.number = \(number) AND c.metadata @> \(JSONWriter.string(.object(filters)))::jsonb
                ORDER BY c.embedding_vector <=> q.v, c.id LIMIT \(limit)
                """, logger: store.logger
            ).decode((Int64, Double).self) {
                results.append(row)
            }
            return results
        }
    }

    /// These chunks, without their vectors, by id.
    public func chunks(ids: [Int64]) async throws -> [Int64: ChunkRecord] {
        guard !ids.isEmpty else { return [:] }
        return try await store.perform {
            var chunks: [Int64: ChunkRecord] = [:]
            for try await row in try await store.client.query(
                """
                SELECT c.id, d.name, c.position, c.content, c.tokens, c.metadata::text, '{}'::real[]
                FROM chunks c JOIN document_versions dv ON dv.id = c.document_version_id JOIN documents d ON d.id = dv.document_id
                WHERE c.id = ANY(\(ids))
                """, logger: store.logger
            ).decode(ChunkRow.self) {
                chunks[row.0] = Self.chunk(row)
            }
            return chunks
        }
    }
}
