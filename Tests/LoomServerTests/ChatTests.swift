import Foundation
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
}
