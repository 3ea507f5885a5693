import Foundation
import LoomWorkflow
import PostgresNIO

/// Runs and their node runs. A run is written once when it finishes — run row and node runs in one statement —
/// and, when it lasts long enough to be watched or stopped, also once when it starts (as `running`).
public struct RunRepository: Sendable {
    let store: Store

    static let columns = """
        r.id, r.app_id, a.slug, r.version, r.status, r.inputs::text, r.outputs::text, r.error, r.user_id, r.conversation_id, r.server_id,
        r.total_tokens, r.total_steps, r.elapsed_ms, r.created_at, r.finished_at
        """
    typealias Row = (UUID, Int, String, Int, String, String, String?, String?, String, UUID?, UUID?, Int, Int, Double?, Date, Date?)

    static func record(_ row: Row) -> RunRecord {
        RunRecord(
            id: row.0, appId: row.1, app: row.2, version: row.3, status: row.4, inputs: json(row.5) ?? .object([:]),
            outputs: row.6.flatMap(json), error: row.7, user: row.8, conversationId: row.9, serverId: row.10, totalTokens: row.11,
            totalSteps: row.12, elapsedMilliseconds: row.13, createdAt: row.14, finishedAt: row.15)
    }

    static func json(_ text: String) -> Value? {
        try? JSONDocumentReader.parse(text).value
    }

    /// Records runs as running, so other servers can see and stop them and they are failed if this server dies.
    /// A run already written (finished) is left alone.
    public func start(_ runs: [RunRecord]) async throws {
        guard !runs.isEmpty else { return }
        let statement = StartRuns(runs: JSONWriter.string(.array(runs.map(Self.row)), sortKeys: false))
        try await store.perform {
            for try await _ in try await store.client.execute(statement, logger: store.logger) {}
        }
    }

    /// Runs written as running: once per streaming run, so prepared once per connection like `FinishRuns`.
    struct StartRuns: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO runs (id, app_id, version, status, inputs, user_id, conversation_id, server_id, created_at)
            SELECT r.id, r.app_id, r.version, 'running', r.inputs, r.user_id, r.conversation_id, r.server_id, to_timestamp(r.created_at)
            FROM jsonb_to_recordset($1::jsonb) AS r(\(RunRepository.recordColumns))
            ON CONFLICT (id) DO NOTHING
            """
        typealias Row = Void
        var runs: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(runs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    public func start(_ run: RunRecord) async throws {
        try await start([run])
    }

    /// Writes finished runs and their node runs in one statement: one round trip and one commit for the batch.
    public func finish(_ batch: [(run: RunRecord, nodes: [NodeRunRecord])]) async throws {
        guard !batch.isEmpty else { return }
        let statement = FinishRuns(
            runs: JSONWriter.string(.array(batch.map { Self.row($0.run) }), sortKeys: false),
            nodes: JSONWriter.string(.array(batch.flatMap { entry in entry.nodes.map { $0.row(run: entry.run.id) } }), sortKeys: false))
        try await store.perform {
            for try await _ in try await store.client.execute(statement, logger: store.logger) {}
        }
    }

    /// The write of a batch of finished runs, prepared once per connection: parsing and planning this statement
    /// anew each time was most of PostgreSQL's work per run under load.
    struct FinishRuns: PostgresPreparedStatement {
        static let sql = """
            WITH finished AS (
                INSERT INTO runs (id, app_id, version, status, inputs, outputs, error, user_id, conversation_id, server_id,
                                  total_tokens, total_steps, elapsed_ms, created_at, finished_at)
                SELECT r.id, r.app_id, r.version, r.status, r.inputs, r.outputs, r.error, r.user_id, r.conversation_id, r.server_id,
                       r.total_tokens, r.total_steps, r.elapsed_ms, to_timestamp(r.created_at), to_timestamp(r.finished_at)
                FROM jsonb_to_recordset($1::jsonb) AS r(\(RunRepository.recordColumns))
                ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, outputs = EXCLUDED.outputs, error = EXCLUDED.error,
                    total_tokens = EXCLUDED.total_tokens, total_steps = EXCLUDED.total_steps, elapsed_ms = EXCLUDED.elapsed_ms,
                    finished_at = EXCLUDED.finished_at
                RETURNING id
            )
            INSERT INTO node_runs (id, run_id, node_id, node_type, title, step, status, inputs, outputs, error, retries, elapsed_ms,
                                   total_tokens, iteration_id, iteration_index, finished_at)
            SELECT n.id, n.run_id, n.node_id, n.node_type, n.title, n.step, n.status, n.inputs, n.outputs, n.error,
                   n.retries, n.elapsed_ms, n.total_tokens, n.iteration_id, n.iteration_index, to_timestamp(n.finished_at)
            FROM jsonb_to_recordset($2::jsonb) AS n(
                id text, run_id uuid, node_id text, node_type text, title text, step integer, status text, inputs jsonb, outputs jsonb,
                error text, retries integer, elapsed_ms double precision, total_tokens integer, iteration_id text, iteration_index integer,
                finished_at double precision)
            WHERE n.run_id IN (SELECT id FROM finished)
            ON CONFLICT (id) DO NOTHING
            """
        typealias Row = Void
        var runs: String
        var nodes: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(runs)
            bindings.append(nodes)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    public func finish(_ run: RunRecord, nodes: [NodeRunRecord]) async throws {
        try await finish([(run, nodes)])
    }

    static let recordColumns = """
        id uuid, app_id bigint, version integer, status text, inputs jsonb, outputs jsonb, error text, user_id text, conversation_id uuid,
        server_id uuid, total_tokens integer, total_steps integer, elapsed_ms double precision, created_at double precision,
        finished_at double precision
        """

    /// The JSON object `jsonb_to_recordset` reads for a run.
    static func row(_ run: RunRecord) -> Value {
        let optional = { (text: String?) in text.map(Value.string) ?? .null }
        return [
            "id": .string(run.id.uuidString), "app_id": .int(run.appId), "version": .int(run.version), "status": .string(run.status),
            "inputs": run.inputs, "outputs": run.outputs ?? .null, "error": optional(run.error), "user_id": .string(run.user),
            "conversation_id": optional(run.conversationId?.uuidString), "server_id": optional(run.serverId?.uuidString),
            "total_tokens": .int(run.totalTokens), "total_steps": .int(run.totalSteps),
            "elapsed_ms": run.elapsedMilliseconds.map(Value.double) ?? .null, "created_at": .double(run.createdAt.timeIntervalSince1970),
            "finished_at": run.finishedAt.map { .double($0.timeIntervalSince1970) } ?? .null,
        ]
    }

    public func find(_ id: UUID) async throws -> RunRecord? {
        try await store.perform {
            let rows = try await store.client.query(
                "SELECT \(unescaped: Self.columns) FROM runs r JOIN apps a ON a.id = r.app_id WHERE r.id = \(id)", logger: store.logger)
            for try await row in rows.decode(Row.self) { return Self.record(row) }
            return nil
        }
    }

    public func nodes(of runId: UUID) async throws -> [NodeRunRecord] {
        try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT id, node_id, node_type, title, step, status, inputs::text, outputs::text, error, retries, elapsed_ms, total_tokens,
                       iteration_id, iteration_index, finished_at
                FROM node_runs WHERE run_id = \(runId) ORDER BY step
                """, logger: store.logger)
            var nodes: [NodeRunRecord] = []
            for try await row in rows.decode((String, String, String, String, Int, String, String, String, String?, Int, Double, Int, String?, Int?, Date).self) {
                nodes.append(NodeRunRecord(
                    id: row.0, nodeId: row.1, nodeType: row.2, title: row.3, step: row.4, status: row.5, inputs: Self.json(row.6) ?? .object([:]),
                    outputs: Self.json(row.7) ?? .object([:]), error: row.8, retries: row.9, elapsedMilliseconds: row.10, totalTokens: row.11,
                    iterationId: row.12, iterationIndex: row.13, finishedAt: row.14))
            }
            return nodes
        }
    }

    public func list(_ query: RunQuery) async throws -> [RunRecord] {
        try await store.perform {
            let limit = max(1, min(query.limit, 500))
            let rows = try await store.client.query(
                """
                SELECT \(unescaped: Self.columns) FROM runs r JOIN apps a ON a.id = r.app_id
                WHERE (\(query.app)::text IS NULL OR a.slug = \(query.app)) AND (\(query.status)::text IS NULL OR r.status = \(query.status))
                  AND (\(query.since)::timestamptz IS NULL OR r.created_at >= \(query.since))
                  AND (\(query.until)::timestamptz IS NULL OR r.created_at < \(query.until))
                ORDER BY r.created_at DESC LIMIT \(limit)
                """, logger: store.logger)
            var runs: [RunRecord] = []
            for try await row in rows.decode(Row.self) { runs.append(Self.record(row)) }
            return runs
        }
    }
}
