import Foundation
import LoomWorkflow
import PostgresNIO

/// Runs and their node runs. A run is written once when it finishes — its row holds its node runs — and, when it
/// lasts long enough to be watched or stopped, also once when it starts (as `running`).
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
        let statement = StartRuns(runs: JSONWriter.string(.array(runs.map { Self.row($0) }), sortKeys: false))
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

    /// Writes finished runs with their node runs in one statement: one round trip and one commit for the batch.
    public func finish(_ batch: [(run: RunRecord, nodes: [NodeRunRecord])]) async throws {
        guard !batch.isEmpty else { return }
        let statement = FinishRuns(runs: JSONWriter.string(.array(batch.map { Self.row($0.run, nodes: $0.nodes) }), sortKeys: false))
        try await store.perform {
            for try await _ in try await store.client.execute(statement, logger: store.logger) {}
        }
    }

    /// The write of a batch of finished runs, prepared once per connection: parsing and planning this statement
    /// anew each time was most of PostgreSQL's work per run under load.
    struct FinishRuns: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO runs (id, app_id, version, status, inputs, outputs, error, user_id, conversation_id, server_id,
                              total_tokens, total_steps, elapsed_ms, created_at, finished_at, node_runs)
            SELECT r.id, r.app_id, r.version, r.status, r.inputs, r.outputs, r.error, r.user_id, r.conversation_id, r.server_id,
                   r.total_tokens, r.total_steps, r.elapsed_ms, to_timestamp(r.created_at), to_timestamp(r.finished_at), r.node_runs
            FROM jsonb_to_recordset($1::jsonb) AS r(\(RunRepository.recordColumns), node_runs jsonb)
            ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, outputs = EXCLUDED.outputs, error = EXCLUDED.error,
                total_tokens = EXCLUDED.total_tokens, total_steps = EXCLUDED.total_steps, elapsed_ms = EXCLUDED.elapsed_ms,
                finished_at = EXCLUDED.finished_at, node_runs = EXCLUDED.node_runs
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

    public func finish(_ run: RunRecord, nodes: [NodeRunRecord]) async throws {
        try await finish([(run, nodes)])
    }

    static let recordColumns = """
        id uuid, app_id bigint, version integer, status text, inputs jsonb, outputs jsonb, error text, user_id text, conversation_id uuid,
        server_id uuid, total_tokens integer, total_steps integer, elapsed_ms double precision, created_at double precision,
        finished_at double precision
        """

    /// The JSON object `jsonb_to_recordset` reads for a run, with its node runs once it has finished.
    static func row(_ run: RunRecord, nodes: [NodeRunRecord] = []) -> Value {
        let optional = { (text: String?) in text.map(Value.string) ?? .null }
        return [
            "id": .string(run.id.lowercasedString), "app_id": .int(run.appId), "version": .int(run.version), "status": .string(run.status),
            "inputs": run.inputs, "outputs": run.outputs ?? .null, "error": optional(run.error), "user_id": .string(run.user),
            "conversation_id": optional(run.conversationId?.lowercasedString), "server_id": optional(run.serverId?.lowercasedString),
            "total_tokens": .int(run.totalTokens), "total_steps": .int(run.totalSteps),
            "elapsed_ms": run.elapsedMilliseconds.map(Value.double) ?? .null, "created_at": .double(run.createdAt.timeIntervalSince1970),
            "finished_at": run.finishedAt.map { .double($0.timeIntervalSince1970) } ?? .null, "node_runs": .array(nodes.map(\.row)),
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

    /// The run's node runs in step order (as they finished within a step); empty for an unknown run.
    public func nodes(of runId: UUID) async throws -> [NodeRunRecord] {
        try await store.perform {
            let rows = try await store.client.query("SELECT node_runs::text FROM runs WHERE id = \(runId)", logger: store.logger)
            for try await text in rows.decode(String.self) {
                // The sort is stable: within a step, the order they were stored in.
                return (Self.json(text)?.arrayValue ?? []).compactMap(NodeRunRecord.init(row:)).sorted { $0.step < $1.step }
            }
            return []
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
