import Foundation
import Hummingbird
import LoomStore
import LoomWorkflow

extension ChatController {
    /// Turns of the conversation, up to the rated answer, that a feedback sample keeps.
    static let feedbackTurns = 10

    /// Dify's `POST /v1/messages/{message_id}/feedbacks` (`{rating: like|dislike|null, user, content?}`). With
    /// `annotations` in the app, the conversation up to the rated answer becomes a sample: a liked one with the
    /// configured status, a disliked one rejected (to be corrected and approved by a reviewer).
    func feedback(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await auth.app(request, slug: context.parameters.get("app"))
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        let user = try body.text("user") ?? "anonymous"
        let rating: String?
        switch body["rating"] {
        case nil, .null?: rating = nil
        case .string(let text)? where text == "like" || text == "dislike": rating = text
        case let other?: throw APIError.invalidParam("'rating' is like, dislike or null, not \(other)")
        }
        guard let text = context.parameters.get("message_id"), let id = UUID(uuidString: text),
            let (message, owner) = try await store.conversations.message(id, appId: app.appId), owner == user
        else {
            throw APIError(.notFound, "message_not_exists", "no message '\(context.parameters.get("message_id") ?? "")' for user '\(user)' in app '\(app.slug)'")
        }
        try await store.conversations.rate(id, rating: rating, feedback: try body.text("content"))
        if let rating, let published = app.publishedVersion, let settings = try await runner.workflows.workflow(app: app, version: published).annotations {
            try await keepSample(message, liked: rating == "like", settings: settings, app: app)
        }
        return JSONResponse.make(["result": "success"])
    }

    private func keepSample(_ message: MessageRecord, liked: Bool, settings: AnnotationSettings, app: AppAccess) async throws {
        guard let likedStatus = settings.feedbackStatus else { return }
        let earlier = try await store.conversations.messages(message.conversationId, last: 1000)
        let turns = earlier.prefix { $0.id != message.id }.suffix(Self.feedbackTurns - 1) + [message]
        let record: TrainingRecord
        do {
            record = try TrainingRecord(parsing: ["messages": .array(turns.flatMap { turn -> [Value] in
                [["role": "user", "content": .string(turn.query)], ["role": "assistant", "content": .string(turn.answer)]]
            })])
        } catch {
            // An empty answer (a run that failed) has nothing to learn from; the rating itself is kept.
            return
        }
        let status = liked ? likedStatus : .rejected
        let label = liked ? "like" : "dislike"
        let source: [String: Value] = [
            "kind": "feedback", "app": .string(app.slug), "run": .string(message.runId.lowercasedString), "message": .string(message.id.lowercasedString),
        ]
        let added = try await store.samples.add(
            settings.dataset, [SampleInput(record: record, status: status, rating: liked ? 1 : -1, label: label, source: source)],
            message: "\(label) on a message of \(app.slug)")
        if let write = added.writes.first, write.duplicate {
            // Rated again (or the same exchange rated elsewhere): the latest opinion stands.
            _ = try await store.samples.review(
                settings.dataset, ids: [write.id], SampleReview(status: status, rating: liked ? 1 : -1, label: label), message: "\(label) on a message of \(app.slug)")
        }
    }
}
