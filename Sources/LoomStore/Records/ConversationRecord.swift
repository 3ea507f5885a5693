import Foundation
import LoomWorkflow

public struct ConversationRecord: Sendable {
    public var id: UUID
    public var appId: Int
    public var user: String
    public var name: String
    public var inputs: Value
    /// The conversation variables as the last turn left them.
    public var variables: [String: Value]
    public var createdAt: Date
    public var updatedAt: Date
}

public struct MessageRecord: Sendable {
    public var id: UUID
    public var conversationId: UUID
    public var runId: UUID
    public var query: String
    public var answer: String
    public var inputs: Value
    public var totalTokens: Int
    public var createdAt: Date

    public init(id: UUID, conversationId: UUID, runId: UUID, query: String, answer: String, inputs: Value, totalTokens: Int, createdAt: Date) {
        self.id = id
        self.conversationId = conversationId
        self.runId = runId
        self.query = query
        self.answer = answer
        self.inputs = inputs
        self.totalTokens = totalTokens
        self.createdAt = createdAt
    }
}
