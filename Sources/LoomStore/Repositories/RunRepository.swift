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

    /// Records a run as running, so other servers can see and stop it and it is failed if this server dies.
    public func start(_ run: RunRecord) async throws {
        try await store.perform {
            try await store.client.query(
                """
                INSERT INTO runs (id, app_id, version, status, inputs, user_id, conversation_id, server_id, created_at)
                VALUES (\(run.id), \(run.appId), \(run.version), 'running', \(JSONWriter.string(run.inputs))::jsonb, \(run.user),
                        \(run.conversationId), \(run.serverId), \(run.createdAt))
                ON CONFLICT (id) DO NOTHING
                """, logger: store.logger)
        }
    }

    /// Writes the finished run and its node runs in one statement (one round trip, one commit).
    public func finish(_ run: RunRecord, nodes: [NodeRunRecord]) async throws {
        let nodeRows = JSONWriter.string(.array(nodes.map(\.row)))
        try await store.perform {
            try await store.client.query(
                """
                WITH run AS (
                    INSERT INTO runs (id, app_id, version, status, inputs, outputs, error, user_id, conversation_id, server_id,
                                      total_tokens, total_steps, elapsed_ms, created_at, finished_at)
                    VALUES (\(run.id), \(run.appId), \(run.version), \(run.status), \(JSONWriter.string(run.inputs))::jsonb,
                            \(run.outputs.map { JSONWriter.string($0) })::jsonb, \(run.error), \(run.user), \(run.conversationId),
                            \(run.serverId), \(run.totalTokens), \(run.totalSteps), \(run.elapsedMilliseconds), \(run.createdAt), \(run.finishedAt))
                    ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, outputs = EXCLUDED.outputs, error = EXCLUDED.error,
                        total_tokens = EXCLUDED.total_tokens, total_steps = EXCLUDED.total_steps, elapsed_ms = EXCLUDED.elapsed_ms,
                        finished_at = EXCLUDED.finished_at
                    RETURNING id
                )
                INSERT INTO node_runs (id, run_id, node_id, node_type, title, step, status, inputs, outputs, error, retries, elapsed_ms,
                                       total_tokens, iteration_id, iteration_index, finished_at)
                SELECT n.id, (SELECT id FROM run), n.node_id, n.node_type, n.title, n.step, n.status, n.inputs, n.outputs, n.error,
                       n.retries, n.elapsed_ms, n.total_tokens, n.iteration_id, n.iteration_index, to_timestamp(n.finished_at)
                FROM jsonb_to_recordset(\(nodeRows)::jsonb) AS n(
                    id text, node_id text, node_type text, title text, step integer, status text, inputs jsonb, outputs jsonb, error text,
                    retries integer, elapsed_ms double precision, total_tokens integer, iteration_id text, iteration_index integer,
                    finished_at double precision)
                ON CONFLICT (id) DO NOTHING
                """, logger: store.logger)
        }
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
