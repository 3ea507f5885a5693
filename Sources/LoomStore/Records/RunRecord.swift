import Foundation
import LoomWorkflow

public struct RunRecord: Sendable {
    public var id: UUID
    public var appId: Int
    public var app: String
    public var version: Int
    public var status: String
    public var inputs: Value
    public var outputs: Value?
    public var error: String?
    public var user: String
    public var conversationId: UUID?
    public var serverId: UUID?
    public var totalTokens: Int
    public var totalSteps: Int
    public var elapsedMilliseconds: Double?
    public var createdAt: Date
    public var finishedAt: Date?

    public init(
        id: UUID, appId: Int, app: String, version: Int, status: String, inputs: Value, outputs: Value? = nil, error: String? = nil,
        user: String, conversationId: UUID? = nil, serverId: UUID? = nil, totalTokens: Int = 0, totalSteps: Int = 0,
        elapsedMilliseconds: Double? = nil, createdAt: Date, finishedAt: Date? = nil
    ) {
        self.id = id
        self.appId = appId
        self.app = app
        self.version = version
        self.status = status
        self.inputs = inputs
        self.outputs = outputs
        self.error = error
        self.user = user
        self.conversationId = conversationId
        self.serverId = serverId
        self.totalTokens = totalTokens
        self.totalSteps = totalSteps
        self.elapsedMilliseconds = elapsedMilliseconds
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }
}

public struct NodeRunRecord: Sendable {
    public var id: String
    public var nodeId: String
    public var nodeType: String
    public var title: String
    public var step: Int
    public var status: String
    public var inputs: Value
    public var outputs: Value
    public var error: String?
    public var retries: Int
    public var elapsedMilliseconds: Double
    public var totalTokens: Int
    public var iterationId: String?
    public var iterationIndex: Int?
    public var finishedAt: Date

    public init(
        id: String, nodeId: String, nodeType: String, title: String, step: Int, status: String, inputs: Value, outputs: Value,
        error: String?, retries: Int, elapsedMilliseconds: Double, totalTokens: Int, iterationId: String?, iterationIndex: Int?,
        finishedAt: Date
    ) {
        self.id = id
        self.nodeId = nodeId
        self.nodeType = nodeType
        self.title = title
        self.step = step
        self.status = status
        self.inputs = inputs
        self.outputs = outputs
        self.error = error
        self.retries = retries
        self.elapsedMilliseconds = elapsedMilliseconds
        self.totalTokens = totalTokens
        self.iterationId = iterationId
        self.iterationIndex = iterationIndex
        self.finishedAt = finishedAt
    }

    /// The node run as an element of its run's `node_runs` column. Fields at their defaults (no error, no retries, no
    /// tokens, not in an iteration, empty inputs or outputs) are left out, and `init?(row:)` restores them: most
    /// nodes have most of them, and PostgreSQL parses, sorts and stores every key of every recorded node.
    public var row: Value {
        var fields: [String: Value] = [
            "id": .string(id), "node_id": .string(nodeId), "node_type": .string(nodeType), "title": .string(title), "step": .int(step),
            "status": .string(status), "elapsed_ms": .double(elapsedMilliseconds), "finished_at": .double(finishedAt.timeIntervalSince1970),
        ]
        if inputs != [:] { fields["inputs"] = inputs }
        if outputs != [:] { fields["outputs"] = outputs }
        if let error { fields["error"] = .string(error) }
        if retries != 0 { fields["retries"] = .int(retries) }
        if totalTokens != 0 { fields["total_tokens"] = .int(totalTokens) }
        if let iterationId { fields["iteration_id"] = .string(iterationId) }
        if let iterationIndex { fields["iteration_index"] = .int(iterationIndex) }
        return .object(fields)
    }

    /// Reads an element of a run's `node_runs` column; nil when it is not one.
    init?(row: Value) {
        guard case .object(let fields) = row, let id = fields["id"]?.stringValue, let nodeId = fields["node_id"]?.stringValue,
            let nodeType = fields["node_type"]?.stringValue, let step = fields["step"]?.numberValue, let status = fields["status"]?.stringValue,
            let finishedAt = fields["finished_at"]?.numberValue
        else { return nil }
        self.init(
            id: id, nodeId: nodeId, nodeType: nodeType, title: fields["title"]?.stringValue ?? nodeId, step: Int(step), status: status,
            inputs: fields["inputs"] ?? .object([:]), outputs: fields["outputs"] ?? .object([:]), error: fields["error"]?.stringValue,
            retries: Int(fields["retries"]?.numberValue ?? 0), elapsedMilliseconds: fields["elapsed_ms"]?.numberValue ?? 0,
            totalTokens: Int(fields["total_tokens"]?.numberValue ?? 0), iterationId: fields["iteration_id"]?.stringValue,
            iterationIndex: fields["iteration_index"]?.numberValue.map { Int($0) }, finishedAt: Date(timeIntervalSince1970: finishedAt))
    }
}

/// Filters for listing runs; newest first.
public struct RunQuery: Sendable {
    public var app: String?
    public var status: String?
    public var since: Date?
    public var until: Date?
    public var limit: Int

    public init(app: String? = nil, status: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 20) {
        self.app = app
        self.status = status
        self.since = since
        self.until = until
        self.limit = limit
    }
}
