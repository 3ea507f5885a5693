import Foundation
import LoomWorkflow
import PostgresNIO

/// Datasets, their document versions and chunks, and their versions as sets of document versions.
public struct DatasetRepository: Sendable {
    let store: Store

    static let columns = "id, name, kind, description, embedding_model, dimensions, chunk_tokens, chunk_overlap, latest_version, created_at"
    typealias Row = (Int64, String, String, String, String, Int, Int, Int, Int, Date)

    static func record(_ row: Row) -> DatasetRecord {
        DatasetRecord(
            id: row.0, name: row.1, kind: DatasetKind(rawValue: row.2) ?? .knowledge, description: row.3, embeddingModel: row.4, dimensions: row.5,
            chunkTokens: row.6, chunkOverlap: row.7, latestVersion: row.8, createdAt: row.9)
    }

    public func create(_ spec: DatasetSpec) async throws -> DatasetRecord {
        guard spec.name.range(of: "^[a-z0-9][a-z0-9_-]{0,63}$", options: .regularExpression) != nil else {
            throw StoreError.invalidDataset(
                "'\(spec.name)' is not a dataset name: use lower-case letters, digits, '-' and '_' (up to 64, starting with a letter or digit)")
        }
        guard spec.chunkTokens > 0, spec.chunkOverlap >= 0, spec.chunkOverlap < spec.chunkTokens else {
            throw StoreError.invalidDataset("the overlap (\(spec.chunkOverlap)) must be at least 0 and below the chunk size (\(spec.chunkTokens))")
        }
        return try await store.perform {
            let rows = try await store.client.query(
                """
                INSERT INTO datasets (name, kind, description, embedding_model, dimensions, chunk_tokens, chunk_overlap)
                VALUES (\(spec.name), \(spec.kind.rawValue), \(spec.description), \(spec.embeddingModel), \(spec.dimensions), \(spec.chunkTokens), \(spec.chunkOverlap))
                ON CONFLICT (name) DO NOTHING
                RETURNING \(unescaped: Self.columns)
                """, logger: store.logger)
            for try await row in rows.decode(Row.self) { return Self.record(row) }
            throw StoreError.datasetExists(spec.name)
        }
    }

    public func get(_ name: String) async throws -> DatasetRecord {
        try await store.perform {
            let rows = try await store.client.query("SELECT \(unescaped: Self.columns) FROM datasets WHERE name = \(name)", logger: store.logger)
            for try await row in rows.decode(Row.self) { return Self.record(row) }
            throw StoreError.datasetNotFound(name)
        }
    }

    public func list() async throws -> [DatasetRecord] {
        try await store.perform {
            var datasets: [DatasetRecord] = []
            for try await row in try await store.client.query("SELECT \(unescaped: Self.columns) FROM datasets ORDER BY name", logger: store.logger)
                .decode(Row.self)
            {
                datasets.append(Self.record(row))
            }
            return datasets
        }
    }

    public func delete(_ name: String) async throws {
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                for try await id in try await connection.query("DELETE FROM datasets WHERE name = \(name) RETURNING id", logger: store.logger)
                    .decode(Int64.self)
                {
                    try await connection.query("SELECT pg_notify(\(NotificationChannel.datasets), \("\(id):deleted"))", logger: store.logger)
                    return
                }
                throw StoreError.datasetNotFound(name)
            }
        }
    }

    /// The stored version of a document with exactly this content, if there is one: importing it again does no work.
    public func documentVersion(dataset: DatasetRecord, name: String, sha256: String) async throws -> Int64? {
        try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT v.id FROM document_versions v JOIN documents d ON d.id = v.document_id
                WHERE d.dataset_id = \(dataset.id) AND d.name = \(name) AND v.sha256 = \(sha256)
                """, logger: store.logger)
            for try await id in rows.decode(Int64.self) { return id }
            return nil
        }
    }

    /// Stores a document version and its chunks in one transaction, and returns its id. Storing the same content
    /// twice (two imports racing) returns the first one's id.
    public func storeDocument(
        dataset: DatasetRecord, name: String, sha256: String, metadata: [String: Value], chunks: [ChunkInput]
    ) async throws -> Int64 {
        guard dataset.kind == .knowledge else {
            throw StoreError.wrongDatasetKind(dataset: dataset.name, kind: dataset.kind.rawValue, needed: DatasetKind.knowledge.rawValue)
        }
        if let wrong = chunks.first(where: { $0.embedding.count != dataset.dimensions }) {
            throw StoreError.invalidDataset("an embedding of \(wrong.embedding.count) dimensions for dataset '\(dataset.name)' of \(dataset.dimensions)")
        }
        let rows = JSONWriter.string(
            .array(chunks.enumerated().map { position, chunk in
                [
                    "position": .int(position), "content": .string(chunk.content), "tokens": .int(chunk.tokens), "metadata": .object(chunk.metadata),
                    "embedding": .array(chunk.embedding.map { .double(Double($0)) }),
                ]
            }), sortKeys: false)
        let metadataJSON = JSONWriter.string(.object(metadata))
        let tokens = chunks.reduce(0) { $0 + $1.tokens }
        return try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                var documentId: Int64 = 0
                for try await id in try await connection.query(
                    """
                    INSERT INTO documents (dataset_id, name) VALUES (\(dataset.id), \(name))
                    ON CONFLICT (dataset_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id
                    """, logger: store.logger
                ).decode(Int64.self) {
                    documentId = id
                }
                var versionId: Int64?
                for try await id in try await connection.query(
                    """
                    INSERT INTO document_versions (document_id, sha256, metadata, chunk_count, token_count)
                    VALUES (\(documentId), \(sha256), \(metadataJSON)::jsonb, \(chunks.count), \(tokens))
                    ON CONFLICT (document_id, sha256) DO NOTHING RETURNING id
                    """, logger: store.logger
                ).decode(Int64.self) {
                    versionId = id
                }
                guard let versionId else {
                    for try await id in try await connection.query(
                        "SELECT id FROM document_versions WHERE document_id = \(documentId) AND sha256 = \(sha256)", logger: store.logger
                    ).decode(Int64.self) {
                        return id
                    }
                    throw StoreError.conflict("document '\(name)' vanished while it was stored; import it again")
                }
                try await connection.query(
                    """
                    INSERT INTO chunks (document_version_id, position, content, tokens, metadata, embedding)
                    SELECT \(versionId), c.position, c.content, c.tokens, c.metadata, c.embedding
                    FROM jsonb_to_recordset(\(rows)::jsonb) AS c(position integer, content text, tokens integer, metadata jsonb, embedding real[])
                    """, logger: store.logger)
                return versionId
            }
        }
    }

    /// A new version of the dataset: the latest version's documents, with `put` in place of same-named ones and
    /// `removed` taken out. Returns the new number, or the latest one when nothing would change. With `basedOn`,
    /// a change derived from that version is refused when another version was committed since.
    public func commitVersion(dataset name: String, put: [Int64], removed: [String] = [], message: String = "", basedOn: Int? = nil) async throws -> Int {
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                // Serialises versioning of one dataset: two imports at once each get their own version.
                var dataset: (id: Int64, latest: Int, kind: String)?
                for try await row in try await connection.query(
                    "SELECT id, latest_version, kind FROM datasets WHERE name = \(name) FOR UPDATE", logger: store.logger
                ).decode((Int64, Int, String).self) {
                    dataset = row
                }
                guard let dataset else { throw StoreError.datasetNotFound(name) }
                guard dataset.kind == DatasetKind.knowledge.rawValue else {
                    throw StoreError.wrongDatasetKind(dataset: name, kind: dataset.kind, needed: DatasetKind.knowledge.rawValue)
                }
                if let basedOn, basedOn != dataset.latest { throw StoreError.datasetChanged(dataset: name, expected: basedOn, latest: dataset.latest) }
                if put.isEmpty && removed.isEmpty { return dataset.latest }
                let next = dataset.latest + 1
                try await connection.query(
                    "INSERT INTO dataset_versions (dataset_id, number, message) VALUES (\(dataset.id), \(next), \(message))", logger: store.logger)
                try await connection.query(
                    """
                    INSERT INTO dataset_version_documents (dataset_id, number, document_version_id)
                    SELECT \(dataset.id), \(next), v.document_version_id
                    FROM dataset_version_documents v
                    JOIN document_versions dv ON dv.id = v.document_version_id JOIN documents d ON d.id = dv.document_id
                    WHERE v.dataset_id = \(dataset.id) AND v.number = \(dataset.latest)
                      AND d.name <> ALL(\(removed))
                      AND d.id NOT IN (SELECT document_id FROM document_versions WHERE id = ANY(\(put)))
                    UNION
                    SELECT \(dataset.id), \(next), id FROM document_versions WHERE id = ANY(\(put))
                    """, logger: store.logger)
                if dataset.latest > 0 {
                    let changed = try await Self.differs(dataset.id, dataset.latest, next, connection, store)
                    guard changed else {
                        try await connection.query(
                            "DELETE FROM dataset_versions WHERE dataset_id = \(dataset.id) AND number = \(next)", logger: store.logger)
                        return dataset.latest
                    }
                }
                try await connection.query("UPDATE datasets SET latest_version = \(next) WHERE id = \(dataset.id)", logger: store.logger)
                // Delivered on commit: other servers start loading the new version's index before it is asked for.
                try await connection.query(
                    "SELECT pg_notify(\(NotificationChannel.datasets), \("\(dataset.id):\(next)"))", logger: store.logger)
                return next
            }
        }
    }

    static func differs(_ dataset: Int64, _ a: Int, _ b: Int, _ connection: PostgresConnection, _ store: Store) async throws -> Bool {
        for try await _ in try await connection.query(
            """
            (SELECT document_version_id FROM dataset_version_documents WHERE dataset_id = \(dataset) AND number = \(a)
             EXCEPT SELECT document_version_id FROM dataset_version_documents WHERE dataset_id = \(dataset) AND number = \(b))
            UNION ALL
            (SELECT document_version_id FROM dataset_version_documents WHERE dataset_id = \(dataset) AND number = \(b)
             EXCEPT SELECT document_version_id FROM dataset_version_documents WHERE dataset_id = \(dataset) AND number = \(a))
            LIMIT 1
            """, logger: store.logger
        ).decode(Int64.self) {
            return true
        }
        return false
    }

    /// The number of documents and their tokens in each dataset's latest version, in one query.
    public func sizes(of ids: [Int64]) async throws -> [Int64: (documents: Int, tokens: Int)] {
        try await store.perform {
            var sizes: [Int64: (documents: Int, tokens: Int)] = [:]
            for try await (id, documents, tokens) in try await store.client.query(
                """
                SELECT d.id, count(v.document_version_id)::integer, coalesce(sum(dv.token_count), 0)::integer FROM datasets d
                LEFT JOIN dataset_version_documents v ON v.dataset_id = d.id AND v.number = d.latest_version
                LEFT JOIN document_versions dv ON dv.id = v.document_version_id
                WHERE d.id = ANY(\(ids)) GROUP BY d.id
                """, logger: store.logger
            ).decode((Int64, Int, Int).self) {
                sizes[id] = (documents, tokens)
            }
            return sizes
        }
    }

    public func versions(_ name: String) async throws -> [DatasetVersionRecord] {
        try await versions(try await get(name))
    }

    public func versions(_ dataset: DatasetRecord) async throws -> [DatasetVersionRecord] {
        // Documents of a knowledge version; samples current at a samples version.
        let size: String =
            switch dataset.kind {
            case .knowledge: "SELECT count(*) FROM dataset_version_documents d WHERE d.dataset_id = v.dataset_id AND d.number = v.number"
            case .samples:
                """
                SELECT count(*) FROM sample_revisions r WHERE r.dataset_id = v.dataset_id AND r.from_version <= v.number
                  AND (r.until_version IS NULL OR r.until_version > v.number)
                """
            }
        return try await store.perform {
            var versions: [DatasetVersionRecord] = []
            for try await row in try await store.client.query(
                """
                SELECT v.number, v.message, (\(unescaped: size))::integer, v.created_at FROM dataset_versions v
                WHERE v.dataset_id = \(dataset.id) ORDER BY v.number
                """, logger: store.logger
            ).decode((Int, String, Int, Date).self) {
                versions.append(DatasetVersionRecord(number: row.0, message: row.1, size: row.2, createdAt: row.3))
            }
            return versions
        }
    }

    /// The version a reference names: `latest` for nil, else that number, which must exist.
    public func resolve(_ dataset: DatasetRecord, version: Int?) throws -> Int {
        let number = version ?? dataset.latestVersion
        guard number >= 1, number <= dataset.latestVersion else { throw StoreError.datasetVersionNotFound(dataset: dataset.name, version: number) }
        return number
    }

    /// The documents a version holds, by name.
    public func documents(_ name: String, version: Int? = nil) async throws -> [DatasetDocumentRecord] {
        let dataset = try await get(name)
        return try await documents(dataset, version: try resolve(dataset, version: version))
    }

    /// The documents version `number` (already resolved; none for 0) of a dataset in hand holds, by name.
    public func documents(_ dataset: DatasetRecord, version number: Int) async throws -> [DatasetDocumentRecord] {
        try await store.perform {
            var documents: [DatasetDocumentRecord] = []
            for try await row in try await store.client.query(
                """
                SELECT d.name, dv.id, dv.sha256, dv.chunk_count, dv.token_count, dv.metadata::text
                FROM dataset_version_documents v JOIN document_versions dv ON dv.id = v.document_version_id JOIN documents d ON d.id = dv.document_id
                WHERE v.dataset_id = \(dataset.id) AND v.number = \(number) ORDER BY d.name
                """, logger: store.logger
            ).decode((String, Int64, String, Int, Int, String).self) {
                documents.append(
                    DatasetDocumentRecord(
                        name: row.0, documentVersionId: row.1, sha256: row.2, chunkCount: row.3, tokenCount: row.4,
                        metadata: RunRepository.json(row.5)?.objectValue ?? [:]))
            }
            return documents
        }
    }

    /// Documents added, changed and removed going from version `a` to version `b`.
    public func diff(_ name: String, from a: Int, to b: Int) async throws -> DatasetDiff {
        let before = Dictionary(uniqueKeysWithValues: try await documents(name, version: a).map { ($0.name, $0.sha256) })
        let after = Dictionary(uniqueKeysWithValues: try await documents(name, version: b).map { ($0.name, $0.sha256) })
        return DatasetDiff(
            added: after.keys.filter { before[$0] == nil }.sorted(),
            changed: after.keys.filter { before[$0] != nil && before[$0] != after[$0] }.sorted(),
            removed: before.keys.filter { after[$0] == nil }.sorted())
    }

    /// A new version holding what version `target` held (default: the one before the latest).
    public func rollback(_ name: String, to target: Int? = nil) async throws -> Int {
        let dataset = try await get(name)
        let number = target ?? dataset.latestVersion - 1
        guard dataset.latestVersion >= 2, number >= 1 else {
            throw StoreError.invalidDataset("dataset '\(name)' has no earlier version to roll back to")
        }
        guard number < dataset.latestVersion else {
            throw StoreError.invalidDataset("version \(number) of dataset '\(name)' is not earlier than its latest (\(dataset.latestVersion))")
        }
        if dataset.kind == .samples { return try await SampleRepository(store: store).rollback(dataset, to: number) }
        let previous = try await documents(dataset, version: number)
        let current = try await documents(dataset, version: dataset.latestVersion)
        let kept = Set(previous.map(\.name))
        return try await commitVersion(
            dataset: name, put: previous.map(\.documentVersionId), removed: current.map(\.name).filter { !kept.contains($0) },
            message: "roll back to version \(number)", basedOn: dataset.latestVersion)
    }

    /// A new version without the named documents, which the latest version must hold.
    public func removeDocuments(_ name: String, documents names: [String], message: String? = nil) async throws -> Int {
        let dataset = try await get(name)
        let held = Set(try await documents(dataset, version: dataset.latestVersion).map(\.name))
        if let missing = names.first(where: { !held.contains($0) }) { throw StoreError.documentNotFound(dataset: name, document: missing) }
        return try await commitVersion(
            dataset: name, put: [], removed: names, message: message ?? "remove \(names.joined(separator: ", "))", basedOn: dataset.latestVersion)
    }

    /// Every chunk of a version, in document and position order (to build the search index or export).
    public func chunks(_ name: String, version: Int? = nil) async throws -> [ChunkRecord] {
        let dataset = try await get(name)
        return try await chunks(dataset, version: try resolve(dataset, version: version))
    }

    /// Every chunk of version `number` (already resolved) of a dataset in hand, or of one `document` in it, by
    /// document and position; without `embeddings` the vectors stay in the database (empty here).
    public func chunks(_ dataset: DatasetRecord, version number: Int, document: String? = nil, embeddings: Bool = true) async throws -> [ChunkRecord] {
        try await store.perform {
            var chunks: [ChunkRecord] = []
            for try await row in try await store.client.query(
                """
                SELECT c.id, d.name, c.position, c.content, c.tokens, c.metadata::text, CASE WHEN \(embeddings) THEN c.embedding ELSE '{}'::real[] END
                FROM dataset_version_documents v JOIN chunks c ON c.document_version_id = v.document_version_id
                JOIN document_versions dv ON dv.id = v.document_version_id JOIN documents d ON d.id = dv.document_id
                WHERE v.dataset_id = \(dataset.id) AND v.number = \(number) AND (\(document)::text IS NULL OR d.name = \(document))
                ORDER BY d.name, c.position
                """, logger: store.logger
            ).decode(ChunkRow.self) {
                chunks.append(Self.chunk(row))
            }
            return chunks
        }
    }

    /// A chunk as `SELECT c.id, d.name, c.position, c.content, c.tokens, c.metadata::text, <embedding>` reads it.
    typealias ChunkRow = (Int64, String, Int, String, Int, String, [Float])

    static func chunk(_ row: ChunkRow) -> ChunkRecord {
        ChunkRecord(
            id: row.0, document: row.1, position: row.2, content: row.3, tokens: row.4, metadata: RunRepository.json(row.5)?.objectValue ?? [:],
            embedding: row.6)
    }

    /// Full-text search over a version, ranked by `ts_rank_cd`, best first. A query written with search syntax
    /// (quotes, `-word`, `or`) is read as `websearch_to_tsquery` reads it; plain words — a question — match chunks
    /// holding any of them, ranked by how many and how close, since requiring every word of a question finds little.
    public func fullTextSearch(_ name: String, version: Int? = nil, query: String, limit: Int) async throws -> [(id: Int64, score: Double)] {
        let dataset = try await get(name)
        return try await fullTextSearch(dataset, version: try resolve(dataset, version: version), query: query, limit: limit)
    }

    /// Full-text search over version `number` (already resolved) of a dataset in hand, among the chunks whose
    /// metadata contains `filters` (jsonb `@>`: equal for scalars and whole values, so a superset of equality).
    public func fullTextSearch(
        _ dataset: DatasetRecord, version number: Int, query: String, limit: Int, filters: [String: Value] = [:]
    ) async throws -> [(id: Int64, score: Double)] {
        let syntax = query.contains("\"") || query.contains(" -") || query.hasPrefix("-") || query.lowercased().contains(" or ")
        return try await store.perform {
            var results: [(Int64, Double)] = []
            for try await row in try await store.client.query(
                """
                SELECT c.id, ts_rank_cd(c.search, q)::float8 AS rank
                FROM dataset_version_documents v JOIN chunks c ON c.document_version_id = v.document_version_id,
                     (SELECT CASE WHEN \(syntax) THEN websearch_to_tsquery('english', \(query))
                             ELSE replace(plainto_tsquery('english', \(query))::text, '&', '|')::tsquery END AS q) query
                WHERE v.dataset_id = \(dataset.id) AND v.number = \(number) AND c.search @@ q AND c.metadata @> \(JSONWriter.string(.object(filters)))::jsonb
                ORDER BY rank DESC, c.id LIMIT \(limit)
                """, logger: store.logger
            ).decode((Int64, Double).self) {
                results.append(row)
            }
            return results
        }
    }
}
