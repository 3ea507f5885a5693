import Foundation
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Synchronization
import Testing

@Suite struct ChatTests {
    static let chat = """
        app: chat
        mode: chat
        nodes:
          - {id: reply, type: llm, system: "Be brief.", prompt: "{{ sys.query }}", memory: {window: 5}, next: answer}
          - {id: answer, type: answer, answer: "{{ reply.text }}"}
        """

    @Test func aConversationKeepsItsHistoryAndMessages() async throws {
        let prompts = Mutex<[Value]>([])
        try await TestHTTPServer.with({ request in
            let body = (try? JSONDocumentReader.parse(request.bodyText).value) ?? .null
            prompts.withLock { $0.append(body[path: ["messages"]] ?? .null) }
            return OpenAIStub.stream(["Sure", "."])
        }) { port in
            try await ServerHarness.with(catalog: StubModel.catalog(port: port)) { server in
                let key = try await server.publish(Self.chat)
                let first = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "Hi!", "user": "ana"}"#)
                #expect(first.status == 200, "\(first.text)")
                #expect(first.body[path: ["answer"]] == "Sure.")
                #expect(first.body[path: ["event"]] == "message")
                let conversation = try #require(first.body[path: ["conversation_id"]]?.stringValue)
                let second = try await server.request(
                    .POST, "/v1/chat-messages", token: key, body: #"{"query": "And then?", "user": "ana", "conversation_id": "\#(conversation)"}"#)
                #expect(second.body[path: ["conversation_id"]]?.stringValue == conversation)
                #expect(prompts.withLock { $0 }.last == [
                    ["role": "system", "content": "Be brief."], ["role": "user", "content": "Hi!"], ["role": "assistant", "content": "Sure."],
                    ["role": "user", "content": "And then?"],
                ])
                let messages = try await server.request(.GET, "/v1/messages?conversation_id=\(conversation)&user=ana", token: key)
                #expect(messages.body[path: ["data"]]?.arrayValue?.map { $0[path: ["query"]] } == ["Hi!", "And then?"])
                let conversations = try await server.request(.GET, "/v1/conversations?user=ana", token: key)
                #expect(conversations.body[path: ["data", "0", "id"]]?.stringValue == conversation)
                let strangers = try await server.request(.GET, "/v1/messages?conversation_id=\(conversation)&user=bo", token: key)
                #expect(strangers.status == 404)
                let unknown = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "x", "conversation_id": "\#(UUID().uuidString)"}"#)
                #expect(unknown.status == 404 && unknown.body[path: ["code"]] == "conversation_not_exists")
            }
        }
    }

    @Test func feedbackOnAnAnswerIsKeptAsASampleOfTheConversation() async throws {
        try await TestHTTPServer.with({ _ in OpenAIStub.stream(["Sure", "."]) }) { port in
            try await ServerHarness.with(catalog: StubModel.catalog(port: port)) { server in
                _ = try await server.store.datasets.create(DatasetSpec(name: "support", kind: .samples, embeddingModel: "minilm-l6", dimensions: 384))
                let key = try await server.publish(Self.chat + "\nannotations: {dataset: support, feedback: approved}\n")
                let first = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "Hi!", "user": "ana"}"#)
                let conversation = try #require(first.body[path: ["conversation_id"]]?.stringValue)
                let second = try await server.request(
                    .POST, "/v1/chat-messages", token: key, body: #"{"query": "More?", "user": "ana", "conversation_id": "\#(conversation)"}"#)
                let message = try #require(second.body[path: ["message_id"]]?.stringValue)

                let like = try await server.request(.POST, "/v1/messages/\(message)/feedbacks", token: key, body: #"{"rating": "like", "user": "ana"}"#)
                #expect(like.status == 200 && like.body[path: ["result"]] == "success")
                let dataset = try await server.store.datasets.get("support")
                let kept = try await server.store.samples.list(dataset, version: dataset.latestVersion)
                #expect(kept.count == 1 && kept[0].status == .approved && kept[0].rating == 1 && kept[0].label == "like")
                #expect(kept[0].record == .chat([.init(.user, "Hi!"), .init(.assistant, "Sure."), .init(.user, "More?"), .init(.assistant, "Sure.")]))
                #expect(kept[0].source["message"] == .string(message) && kept[0].source["kind"] == "feedback")

                // Changing one's mind changes the same sample.
                _ = try await server.request(.POST, "/v1/messages/\(message)/feedbacks", token: key, body: #"{"rating": "dislike", "user": "ana", "content": "too short"}"#)
                let latest = try await server.store.datasets.get("support")
                let changed = try await server.store.samples.list(latest, version: latest.latestVersion)
                #expect(changed.count == 1 && changed[0].status == .rejected && changed[0].rating == -1)

                let stranger = try await server.request(.POST, "/v1/messages/\(message)/feedbacks", token: key, body: #"{"rating": "like", "user": "bo"}"#)
                #expect(stranger.status == 404 && stranger.body[path: ["code"]] == "message_not_exists")
                let bad = try await server.request(.POST, "/v1/messages/\(message)/feedbacks", token: key, body: #"{"rating": "love", "user": "ana"}"#)
                #expect(bad.status == 400)
            }
        }
    }

    @Test func streamingChatSendsMessageEventsAndMessageEnd() async throws {
        try await TestHTTPServer.with({ _ in OpenAIStub.stream(["Hel", "lo"]) }) { port in
            try await ServerHarness.with(catalog: StubModel.catalog(port: port)) { server in
                let key = try await server.publish(Self.chat)
                var answer = ""
                var events: [String] = []
                _ = try await server.stream("/v1/chat-messages", token: key, body: #"{"query": "Hi", "response_mode": "streaming", "user": "u"}"#) { frame in
                    events.append(frame.event ?? "")
                    if frame.event == "message", case .data(let value) = frame { answer += value[path: ["answer"]]?.text ?? "" }
                    return true
                }
                #expect(answer == "Hello")
                #expect(events.filter { $0 == "message" }.count == 2)
                #expect(events.last == "message_end")
                #expect(events.contains("workflow_finished"))
            }
        }
    }

    @Test func aQueryIsRequired() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publish(Self.chat.replacingOccurrences(of: "type: llm, system: \"Be brief.\", prompt: \"{{ sys.query }}\", memory: {window: 5}", with: "type: template, template: \"{{ sys.query }}\"").replacingOccurrences(of: "reply.text", with: "reply.output"))
            let reply = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"inputs": {}}"#)
            #expect(reply.status == 400 && reply.body[path: ["message"]] == "'query' is required")
        }
    }

    @Test func conversationVariablesCarryFromTurnToTurnAndFailedTurnsKeepTheLastGoodOnesAndTurnsAreCounted() async throws {
        let app = """
            app: tally
            mode: chat
            conversation_variables:
              said: "array[string]"
              turns: {type: number, default: 0}
            nodes:
              - id: remember
                type: assigner
                assign:
                  - {variable: conversation.said, operation: append, value: "{{ sys.query }}"}
                  - {variable: conversation.turns, operation: "+=", value: 1}
                next: check
              - {id: check, type: tool, tool: calculator, arguments: {expression: "1 / {{ sys.query }}"}, next: answer}
              - {id: answer, type: answer, answer: "turn {{ conversation.turns }} of {{ sys.dialogue_count }}: {{ conversation.said }}"}
            """
        try await ServerHarness.with { server in
            let key = try await server.publish(app)
            let first = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "1", "user": "ana"}"#)
            #expect(first.body[path: ["answer"]] == #"turn 1 of 1: ["1"]"#, "\(first.text)")
            let conversation = try #require(first.body[path: ["conversation_id"]]?.stringValue)
            let send = { (query: String) in
                try await server.request(
                    .POST, "/v1/chat-messages", token: key, body: #"{"query": "\#(query)", "user": "ana", "conversation_id": "\#(conversation)"}"#)
            }
            #expect(try await send("2").body[path: ["answer"]] == #"turn 2 of 2: ["1","2"]"#)
            // The third turn divides by zero: it fails, and what it assigned is not kept.
            #expect(try await send("0").status == 500)
            let variables = try await server.request(.GET, "/v1/conversations/\(conversation)/variables?user=ana", token: key)
            #expect(variables.status == 200, "\(variables.text)")
            let byName = Dictionary(uniqueKeysWithValues: (variables.body[path: ["data"]]?.arrayValue ?? []).map { ($0[path: ["name"]]?.text ?? "", $0) })
            #expect(byName["said"]?[path: ["value"]] == ["1", "2"])
            #expect(byName["said"]?[path: ["value_type"]] == "array[string]")
            #expect(byName["turns"]?[path: ["value"]] == 2)
            // sys.dialogue_count counts the failed turn, whose message is kept (as Dify counts it).
            #expect(try await send("4").body[path: ["answer"]] == #"turn 3 of 4: ["1","2","4"]"#)
            // A new conversation starts from the defaults.
            let fresh = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "5", "user": "ana"}"#)
            #expect(fresh.body[path: ["answer"]] == #"turn 1 of 1: ["5"]"#)
            let stranger = try await server.request(.GET, "/v1/conversations/\(conversation)/variables?user=bo", token: key)
            #expect(stranger.status == 404)
        }
    }

    @Test func filesGivenByURLAreSysFilesAndUploadsAreRefusedWithWhatToSend() async throws {
        try await TestHTTPServer.with({ request in
            request.path == "/notes.txt" ? .text("Open nine to five.") : .text("no such file", status: 404)
        }) { port in
            try await ServerHarness.with { server in
                let key = try await server.publish("""
                    app: files
                    mode: chat
                    nodes:
                      - {id: documents, type: list-operator, list: sys.files, filter: [{key: type, op: in, value: [document]}], next: read}
                      - {id: read, type: document-extractor, file: documents.result, next: answer}
                      - {id: answer, type: answer, answer: "{{ sys.files.length }} files; {{ read.text }}"}
                    """)
                let files = #"[{"type": "image", "transfer_method": "remote_url", "url": "http://127.0.0.1:\#(port)/logo.png"}, "#
                    + #"{"type": "document", "transfer_method": "remote_url", "url": "http://127.0.0.1:\#(port)/notes.txt"}]"#
                let answered = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "When?", "files": \#(files)}"#)
                #expect(answered.status == 200, "\(answered.text)")
                #expect(answered.body[path: ["answer"]] == #"2 files; ["Open nine to five."]"#)
                let uploads = [
                    (#"[{"type": "document", "transfer_method": "local_file", "upload_file_id": "f1"}]"#, "Loom keeps no uploaded files"),
                    (#"[{"type": "document", "url": "file:///etc/passwd"}]"#, "'url' must be an http or https URL"),
                    (#"[{"type": "spreadsheet", "url": "http://127.0.0.1/a.csv"}]"#, "'type' must be one of"),
                    (#"{"type": "document"}"#, "'files' must be a list"),
                ]
                for (given, message) in uploads {
                    let refused = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "When?", "files": \#(given)}"#)
                    #expect(refused.status == 400 && refused.body[path: ["code"]] == "invalid_param", "\(given)")
                    #expect(refused.body[path: ["message"]]?.text.contains(message) == true, "\(refused.text)")
                }
            }
        }
    }
}
