import Hummingbird
import LoomStore
import LoomWorkflow

extension ChatController {
    /// The approved sample that answers this query, for an app with `annotations.reply_threshold`. A failure to
    /// look (the embedding model down) is logged and the app runs as usual.
    func annotationReply(_ query: String, workflow: Workflow) async -> AnnotationMatcher.Match? {
        guard let settings = workflow.annotations, settings.replyThreshold != nil else { return nil }
        do {
            return try await annotations.match(query, settings: settings)
        } catch {
            runner.logger.warning("annotation reply unavailable; running the app", metadata: ["app": "\(workflow.app)", "error": "\(error)"])
            return nil
        }
    }

    /// Answers with the sample's answer, without running the graph: saved as the conversation's message, the hit
    /// recorded, and sent in the shapes a run's answer has (`metadata.annotation_reply` says where it came from).
    func reply(with match: AnnotationMatcher.Match, _ exchange: Exchange, streaming: Bool, context: LoomRequestContext) async throws -> Response {
        let answer = match.sample.record.answer
        await exchange.save(answer: answer, totalTokens: 0, store: store, logger: runner.logger)
        do {
            try await store.samples.recordHit(
                sample: match.sample.id, appId: exchange.run.app.appId, message: exchange.messageId, query: exchange.query, score: match.score)
        } catch {
            runner.logger.error("could not record an annotation hit", metadata: ["sample": "\(match.sample.id)", "error": "\(error)"])
        }
        let metadata: Value = ["annotation_reply": ["id": .int(Int(match.sample.id)), "score": .double(match.score)], "usage": TokenUsage().value]
        guard streaming else {
            return JSONResponse.make(exchange.event("message", ["id": exchange.message, "mode": "advanced-chat", "answer": .string(answer), "metadata": metadata]))
        }
        return ServerSentEvents.response(context: context, pingInterval: configuration.pingInterval, metrics: metrics) {
        } produce: { emit in
            emit(exchange.event("message", ["answer": .string(answer)]))
            emit(exchange.event("message_end", ["metadata": metadata]))
        }
    }
}
