import Foundation
import LoomWorkflow

/// A unit of long work (a dataset import) as PostgreSQL records it.
public struct JobRecord: Sendable, Equatable {
    public enum Status: String, Sendable {
        case queued, running, done, failed
    }

    public var id: UUID
    public var kind: String
    public var dataset: String?
    public var status: Status
    public var payload: [String: Value]
    public var progress: [String: Value]
    public var result: [String: Value]?
    public var error: String?
    public var attempts: Int
    public var createdAt: Date
    public var finishedAt: Date?
}
