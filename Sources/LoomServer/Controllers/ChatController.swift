import Foundation
import Hummingbird
import LoomStore
import LoomWorkflow
import Logging

/// Dify's chat endpoints for `mode: chat` apps: a message runs the workflow with the conversation's history;
/// answers stream as `message` events and end with `message_end`.
struct ChatController: Sendable {
    let auth: Authenticator
    let runner: AppRunner
    let store: Store
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let annotations: AnnotationMatcher

    /// Turns of history loaded for llm nodes with `memory`.
    static let historyTurns = 50

    private func access(_ request: Request, _ context: LoomRequestContext) async throws -> AppAccess {
        try await auth.app(request, slug: context.parameters.get("app"))
    }

    func send(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await send(request, context, app: try await access(request, context))
    }

    func send(_ request: Request, _ context: LoomRequestContext, app: AppAccess) async throws -> Response {
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let query = try body.text("query"), !query.isEmpty else { throw APIError.invalidParam("'query' is required") }
        let user = try body.text("user") ?? "anonymous"
        let streaming = try ServiceAPIController.responseMode(body)
        var inputs = try body.object("inputs")
        let files = try body.files()

        var conversation: ConversationRecord?
        var history: [ChatMessage] = []
        var dialogueCount = 1
        if let given = try body.text("conversation_id"), !given.isEmpty {
            guard let id = UUID(uuidString: given), let found = try await store.conversations.find(id, appId: app.appId), found.user == user else {
                throw APIError(.notFound, "conversation_not_exists", "no conversation '\(given)' for user '\(user)' in app '\(app.slug)'")
            }
            conversation = found
            // A conversation keeps the inputs it started with unless the message gives new ones.
            inputs = (found.inputs.objectValue ?? [:]).merging(inputs) { _, new in new }
            for message in try await store.conversations.messages(id, last: Self.historyTurns) {
                history += [ChatMessage(.user, message.query), ChatMessage(.assistant, message.answer)]
            }
            dialogueCount = try await store.conversations.messageCount(id) + 1
        }
        let run = RunRequest(
            inputs: inputs, user: user, version: try ServiceAPIController.version(body), query: query, conversationId: conversation?.id,
            dialogueCount: dialogueCount, files: files, history: history,
            conversationVariables: conversation?.variables ?? [:], streaming: streaming)
        // Check everything before a new conversation is created for a message that will not run.
        var prepared = try await runner.prepare(app, run)
        guard prepared.workflow.mode == .chat else {
            runner.active.release(app: app.appId)
            throw APIError(.badRequest, "not_chat_app", "app '\(app.slug)' is a workflow app: run it with /v1/workflows/run")
        }
        let annotation = await annotationReply(query, workflow: prepared.workflow)
        if conversation == nil {
            do {
                conversation = try await store.conversations.create(appId: app.appId, user: user, name: String(query.prefix(60)), inputs: .object(prepared.inputs))
            } catch {
                runner.active.release(app: app.appId)
                throw error
            }
            prepared = PreparedRun(
                id: prepared.id, app: prepared.app, version: prepared.version, workflow: prepared.workflow, inputs: prepared.inputs,
                request: run.firstTurn(of: conversation!.id), createdAt: prepared.createdAt)
        }
        let exchange = Exchange(run: prepared, conversationId: conversation!.id, messageId: .random(), query: query)
        if let annotation {
            runner.active.release(app: app.appId)
            return try await reply(with: annotation, exchange, streaming: streaming, context: context)
        }
        let ready = prepared
        if streaming {
            let runner = self.runner
            let store = self.store
            let policy = configuration.onDisconnect
            return ServerSentEvents.response(context: context, pingInterval: configuration.pingInterval, metrics: metrics) {
                if policy == .cancel { runner.active.stop(ready.id) }
            } produce: { emit in
                let result = await runner.execute(ready) { event in
                    if case .textChunk(let text, _) = event.kind {
                        emit(exchange.event("message", ["answer": .string(text)]))
                    } else {
                        var envelope = event.envelope
                        if case .object(var fields) = envelope {
                            fields["conversation_id"] = exchange.conversation
                            fields["message_id"] = exchange.message
                            envelope = .object(fields)
                        }
                        emit(envelope)
                    }
                }
                await exchange.save(result, store: store, logger: runner.logger)
                if result.succeeded {
                    emit(exchange.event("message_end", ["metadata": ["usage": result.usage.value]]))
                } else {
                    emit(exchange.event("error", ["status": 500, "code": "run_failed", "message": .string(result.error ?? result.status.rawValue)]))
                }
            }
        }
        let result = await runner.execute(ready) { _ in }
        await exchange.save(result, store: store, logger: runner.logger)
        guard result.succeeded else {
            throw APIError(.internalServerError, "run_failed", result.error ?? result.status.rawValue, extra: ["task_id": exchange.task])
        }
        return JSONResponse.make(exchange.event("message", [
            "id": exchange.message, "mode": "advanced-chat", "answer": .string(result.outputs["answer"]?.text ?? ""),
            "metadata": ["usage": result.usage.value],
        ]))
    }

    /// One query and its answer in a conversation.
    struct Exchange: Sendable {
        let run: PreparedRun
        let conversationId: UUID
        let messageId: UUID
        let query: String

        var task: Value { .string(run.id.lowercasedString) }
        var conversation: Value { .string(conversationId.lowercasedString) }
        var message: Value { .string(messageId.lowercasedString) }

        func event(_ name: String, _ fields: [String: Value]) -> Value {
            .object(fields.merging([
                "event": .string(name), "task_id": task, "message_id": message, "conversation_id": conversation,
                "created_at": .int(Int(run.createdAt.timeIntervalSince1970)),
            ]) { own, _ in own })
        }

        /// A failed turn keeps its message but not its conversation variables: the next turn starts from the last
        /// good ones.
        func save(_ result: RunResult, store: Store, logger: Logger) async {
            await save(
                answer: result.outputs["answer"]?.text ?? "", totalTokens: result.usage.totalTokens,
                variables: result.succeeded ? result.conversationVariables : nil, store: store, logger: logger)
        }

        func save(answer: String, totalTokens: Int, variables: [String: Value]? = nil, store: Store, logger: Logger) async {
            let record = MessageRecord(
                id: messageId, conversationId: conversationId, runId: run.id, query: query, answer: answer,
                inputs: .object(run.inputs), totalTokens: totalTokens, createdAt: run.createdAt)
            do {
                try await store.conversations.append(record, variables: variables)
            } catch {
                logger.error("could not save a chat message", metadata: ["conversation": "\(conversationId)", "error": "\(error)"])
            }
        }
    }

    func conversations(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await access(request, context)
        let user = request.query("user") ?? "anonymous"
        let limit = min(100, max(1, Int(request.query("limit") ?? "") ?? 20))
        let found = try await store.conversations.list(appId: app.appId, user: user, limit: limit + 1)
        let data: [Value] = found.prefix(limit).map { conversation in
            [
                "id": .string(conversation.id.lowercasedString), "name": .string(conversation.name), "inputs": conversation.inputs,
                "status": "normal", "created_at": RunPresentation.seconds(conversation.createdAt),
                "updated_at": RunPresentation.seconds(conversation.updatedAt),
            ]
        }
        return JSONResponse.make(["data": .array(data), "has_more": .bool(found.count > limit), "limit": .int(limit)])
    }

    /// Dify's "conversation variables": each declared variable with its type and the value the last turn left.
    func variables(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await access(request, context)
        let user = request.query("user") ?? "anonymous"
        let given = try context.parameters.require("id")
        guard let id = UUID(uuidString: given), let conversation = try await store.conversations.find(id, appId: app.appId), conversation.user == user else {
            throw APIError(.notFound, "conversation_not_exists", "no conversation '\(given)' for user '\(user)' in app '\(app.slug)'")
        }
        guard let version = app.publishedVersion else { throw APIError(.badRequest, "app_unavailable", "app '\(app.slug)' has no published version yet") }
        let workflow = try await runner.workflows.workflow(app: app, version: version)
        let values = workflow.conversationValues(stored: conversation.variables)
        let data: [Value] = workflow.conversationVariables.map { variable in
            [
                "id": .string(variable.name), "name": .string(variable.name), "value_type": .string(variable.type.rawValue),
                "value": values[variable.name] ?? variable.defaultValue, "description": .string(variable.description ?? ""),
                "created_at": RunPresentation.seconds(conversation.createdAt), "updated_at": RunPresentation.seconds(conversation.updatedAt),
            ]
        }
        return JSONResponse.make(["data": .array(data), "has_more": false, "limit": .int(data.count)])
    }

    func messages(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        let app = try await access(request, context)
        let user = request.query("user") ?? "anonymous"
        guard let given = request.query("conversation_id"), let id = UUID(uuidString: given),
            let conversation = try await store.conversations.find(id, appId: app.appId), conversation.user == user
        else {
            throw APIError(.notFound, "conversation_not_exists", "no such conversation for user '\(user)'; pass ?conversation_id=…&user=…")
        }
        let limit = min(100, max(1, Int(request.query("limit") ?? "") ?? 20))
        let found = try await store.conversations.messages(conversation.id, last: limit + 1)
        let data: [Value] = found.suffix(limit).map { message in
            [
                "id": .string(message.id.lowercasedString), "conversation_id": .string(message.conversationId.lowercasedString),
                "inputs": message.inputs, "query": .string(message.query), "answer": .string(message.answer),
                "created_at": RunPresentation.seconds(message.createdAt),
            ]
        }
        return JSONResponse.make(["data": .array(data), "has_more": .bool(found.count > limit), "limit": .int(limit)])
    }
}
