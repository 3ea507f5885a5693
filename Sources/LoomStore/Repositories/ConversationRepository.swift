import Foundation
import LoomWorkflow
import PostgresNIO

/// Conversations of chat apps and their messages.
public struct ConversationRepository: Sendable {
    let store: Store

    public func create(appId: Int, user: String, name: String, inputs: Value) async throws -> ConversationRecord {
        let id = UUID.random()
        try await store.perform {
            try await store.client.query(
                """
                INSERT INTO conversations (id, app_id, user_id, name, inputs) VALUES (\(id), \(appId), \(user), \(name), \(JSONWriter.string(inputs))::jsonb)
                """, logger: store.logger)
        }
        guard let conversation = try await find(id, appId: appId) else { throw StoreError.conflict("conversation \(id) vanished") }
        return conversation
    }

    /// The conversation, if it belongs to the app.
    public func find(_ id: UUID, appId: Int) async throws -> ConversationRecord? {
        try await store.perform {
            let rows = try await store.client.query(
                "SELECT id, app_id, user_id, name, inputs::text, variables::text, created_at, updated_at FROM conversations WHERE id = \(id) AND app_id = \(appId)",
                logger: store.logger)
            for try await row in rows.decode((UUID, Int, String, String, String, String, Date, Date).self) {
                return Self.record(row)
            }
            return nil
        }
    }

    /// The user's conversations, most recently active first.
    public func list(appId: Int, user: String, limit: Int) async throws -> [ConversationRecord] {
        try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT id, app_id, user_id, name, inputs::text, variables::text, created_at, updated_at FROM conversations
                WHERE app_id = \(appId) AND user_id = \(user) ORDER BY updated_at DESC LIMIT \(max(1, min(limit, 100)))
                """, logger: store.logger)
            var conversations: [ConversationRecord] = []
            for try await row in rows.decode((UUID, Int, String, String, String, String, Date, Date).self) { conversations.append(Self.record(row)) }
            return conversations
        }
    }

    static func record(_ row: (UUID, Int, String, String, String, String, Date, Date)) -> ConversationRecord {
        ConversationRecord(
            id: row.0, appId: row.1, user: row.2, name: row.3, inputs: (try? JSONDocumentReader.parse(row.4).value) ?? .object([:]),
            variables: (try? JSONDocumentReader.parse(row.5).value.objectValue) ?? [:], createdAt: row.6, updatedAt: row.7)
    }

    /// Saves a turn's message and, in the same statement, the conversation variables it left (nil keeps them).
    public func append(_ message: MessageRecord, variables: [String: Value]? = nil) async throws {
        let variablesJSON = variables.map { JSONWriter.string(.object($0)) }
        try await store.perform {
            try await store.client.query(
                """
                WITH touched AS (
                    UPDATE conversations SET updated_at = now(), variables = COALESCE(\(variablesJSON)::jsonb, variables)
                    WHERE id = \(message.conversationId) RETURNING id)
                INSERT INTO messages (id, conversation_id, run_id, query, answer, inputs, total_tokens, created_at)
                VALUES (\(message.id), \(message.conversationId), \(message.runId), \(message.query), \(message.answer),
                        \(JSONWriter.string(message.inputs))::jsonb, \(message.totalTokens), \(message.createdAt))
                """, logger: store.logger)
        }
    }

    /// How many messages (turns) the conversation holds.
    public func messageCount(_ conversationId: UUID) async throws -> Int {
        try await store.perform {
            let rows = try await store.client.query("SELECT count(*) FROM messages WHERE conversation_id = \(conversationId)", logger: store.logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    /// Messages oldest first; with `last`, only the newest `last` of them.
    public func messages(_ conversationId: UUID, last: Int = 100) async throws -> [MessageRecord] {
        try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT id, conversation_id, run_id, query, answer, inputs::text, total_tokens, created_at FROM (
                    SELECT * FROM messages WHERE conversation_id = \(conversationId) ORDER BY created_at DESC LIMIT \(max(1, min(last, 1000)))
                ) newest ORDER BY created_at
                """, logger: store.logger)
            var messages: [MessageRecord] = []
            for try await row in rows.decode((UUID, UUID, UUID, String, String, String, Int, Date).self) {
                messages.append(MessageRecord(
                    id: row.0, conversationId: row.1, runId: row.2, query: row.3, answer: row.4,
                    inputs: (try? JSONDocumentReader.parse(row.5).value) ?? .object([:]), totalTokens: row.6, createdAt: row.7))
            }
            return messages
        }
    }

    /// A message of one of the app's conversations, with the conversation's user.
    public func message(_ id: UUID, appId: Int) async throws -> (message: MessageRecord, user: String)? {
        try await store.perform {
            let rows = try await store.client.query(
                """
                SELECT m.id, m.conversation_id, m.run_id, m.query, m.answer, m.inputs::text, m.total_tokens, m.created_at, c.user_id
                FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = \(id) AND c.app_id = \(appId)
                """, logger: store.logger)
            for try await row in rows.decode((UUID, UUID, UUID, String, String, String, Int, Date, String).self) {
                let message = MessageRecord(
                    id: row.0, conversationId: row.1, runId: row.2, query: row.3, answer: row.4,
                    inputs: (try? JSONDocumentReader.parse(row.5).value) ?? .object([:]), totalTokens: row.6, createdAt: row.7)
                return (message, row.8)
            }
            return nil
        }
    }

    /// Records a user's like or dislike (nil withdraws it) and comment.
    public func rate(_ id: UUID, rating: String?, feedback: String?) async throws {
        try await store.perform {
            try await store.client.query("UPDATE messages SET rating = \(rating), feedback = \(feedback) WHERE id = \(id)", logger: store.logger)
        }
    }
}
