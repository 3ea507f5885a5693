import Foundation
import LoomConnectors
import LoomServer
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

/// Samples datasets over the admin API and the dataset-annotation node, on a real server, database and embedding
/// worker (a samples dataset's embedding model is probed at creation, as a knowledge dataset's is).
@Suite(.serialized) struct SampleAPITests {
    static let lines = """
        {"messages": [{"role": "user", "content": "What is Loom?"}, {"role": "assistant", "content": "A workflow platform."}]}
        {"prompt": "2+2=", "completion": "4", "status": "pending", "label": "math"}
        {"messages": [{"content": "What is Loom?", "role": "user"}, {"content": "A workflow platform.", "role": "assistant"}]}
        """

    @Test func importReviewEditAndExportMakeVersions() async throws {
        try await DatasetAPITests.withServer { server in
            let created = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "support", "kind": "samples"}"#)
            #expect(created.status == 201 && created.body[path: ["kind"]] == "samples")

            let imported = try await server.admin(.POST, "/admin/datasets/support/samples?file=seed.jsonl", body: Self.lines, contentType: "application/jsonl")
            #expect(imported.status == 201 && imported.body[path: ["added"]] == 2 && imported.body[path: ["duplicates"]] == 1)
            #expect(imported.body[path: ["version"]] == 1)
            let ids = imported.body[path: ["ids"]]?.arrayValue ?? []
            #expect(ids.count == 3 && ids[0] == ids[2])

            let pending = try await server.admin(.GET, "/admin/datasets/support/samples?status=pending")
            #expect(pending.body[path: ["data"]]?.arrayValue?.count == 1)
            #expect(pending.body[path: ["data", "0", "label"]] == "math" && pending.body[path: ["data", "0", "source", "file"]] == "seed.jsonl")

            let approved = try await server.admin(.POST, "/admin/datasets/support/samples/review", body: JSONWriter.string(["ids": [ids[1]], "status": "approved", "rating": 1]))
            #expect(approved.status == 200 && approved.body[path: ["version"]] == 2)

            let edit = try await server.admin(
                .PUT, "/admin/datasets/support/samples/\(ids[1].text)", body: #"{"record": {"prompt": "2+2=", "completion": "four"}}"#)
            #expect(edit.body[path: ["version"]] == 3 && edit.body[path: ["sample", "record", "completion"]] == "four")
            #expect(edit.body[path: ["sample", "status"]] == "approved" && edit.body[path: ["sample", "rating"]] == 1)
            let old = try await server.admin(.GET, "/admin/datasets/support/samples/\(ids[1].text)?version=1")
            #expect(old.body[path: ["record", "completion"]] == "4" && old.body[path: ["status"]] == "pending")

            let export = try await server.admin(.GET, "/admin/datasets/support/samples/export")
            #expect(export.text.split(separator: "\n").count == 2)
            let reviewed = try await server.admin(.GET, "/admin/datasets/support/samples/export?status=all&review=true&version=1")
            #expect(reviewed.text.contains(#""status":"pending""#) && reviewed.text.contains(#""completion":"4""#))

            let versions = try await server.admin(.GET, "/admin/datasets/support/versions")
            #expect(versions.body[path: ["kind"]] == "samples" && versions.body[path: ["data", "2", "samples"]] == 2)
            let shown = try await server.admin(.GET, "/admin/datasets/support")
            #expect(shown.body[path: ["samples", "approved"]] == 2 && shown.body[path: ["samples", "pending"]] == 0)
        }
    }

    @Test func aFileWithOneBadRecordImportsNothingAndNamesTheLine() async throws {
        try await DatasetAPITests.withServer { server in
            _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "support", "kind": "samples"}"#)
            let bad = Self.lines + "\n{\"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}\nnot json\n"
            let refused = try await server.admin(.POST, "/admin/datasets/support/samples", body: bad)
            #expect(refused.status == 422 && refused.body[path: ["code"]] == "invalid_samples")
            let message = refused.body[path: ["message"]]?.stringValue ?? ""
            #expect(message.contains("line 4: message 1 is assistant where user was expected") && message.contains("line 5: not JSON"))
            let long = #"{"prompt": "\#(String(repeating: "word ", count: 9000))", "completion": "x"}"#
            let tooLong = try await server.admin(.POST, "/admin/datasets/support/samples", body: long)
            #expect(tooLong.status == 422 && tooLong.body[path: ["message"]]?.stringValue?.contains("longer than the model's context of 8192") == true)
            let empty = try await server.admin(.POST, "/admin/datasets/support/samples", body: "\n\n")
            #expect(empty.status == 400)
            let dataset = try await server.admin(.GET, "/admin/datasets/support")
            #expect(dataset.body[path: ["latest_version"]] == 0)
            // A knowledge operation on a samples dataset is refused, and the other way round.
            let upload = try await server.admin(.POST, "/admin/datasets/support/documents?file=a.txt", body: "text")
            #expect(upload.status == 400 && upload.body[path: ["message"]]?.stringValue?.contains("holds samples") == true)
            _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "docs"}"#)
            let samples = try await server.admin(.GET, "/admin/datasets/docs/samples")
            #expect(samples.status == 400)
            let unknown = try await server.admin(.POST, "/admin/datasets/support/samples/review", body: #"{"ids": [999], "status": "approved"}"#)
            #expect(unknown.status == 404)
        }
    }

    @Test func aWorkflowAnnotatesItsRunsOnceEach() async throws {
        try await DatasetAPITests.withServer { server in
            _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "tickets", "kind": "samples"}"#)
            let yaml = """
                app: helpdesk
                inputs: {ticket: {type: text, required: true}}
                nodes:
                  - {id: reply, type: template, template: "Have you tried turning it off and on again?", next: keep}
                  - id: keep
                    type: dataset-annotation
                    dataset: tickets
                    record: {messages: [{user: "{{ inputs.ticket }}"}, {assistant: "{{ reply.output }}"}]}
                    next: done
                  - {id: done, type: end, outputs: {id: "{{ keep.id }}", duplicate: "{{ keep.duplicate }}"}}
                """
            let key = try await server.publish(yaml)
            let body = #"{"inputs": {"ticket": "The printer is on fire"}, "response_mode": "blocking", "user": "u"}"#
            let first = try await server.request(.POST, "/v1/workflows/run", token: key, body: body)
            #expect(first.body[path: ["data", "status"]] == "succeeded" && first.body[path: ["data", "outputs", "duplicate"]] == false)
            let second = try await server.request(.POST, "/v1/workflows/run", token: key, body: body)
            #expect(second.body[path: ["data", "outputs", "duplicate"]] == true)
            #expect(second.body[path: ["data", "outputs", "id"]] == first.body[path: ["data", "outputs", "id"]])
            let list = try await server.admin(.GET, "/admin/datasets/tickets/samples")
            #expect(list.body[path: ["data"]]?.arrayValue?.count == 1)
            #expect(list.body[path: ["data", "0", "source", "app"]] == "helpdesk" && list.body[path: ["data", "0", "status"]] == "pending")
            #expect(list.body[path: ["data", "0", "source", "run"]] == first.body[path: ["workflow_run_id"]])

            let wrong = try await server.admin(.POST, "/admin/apps", body: yaml.replacingOccurrences(of: "dataset: tickets", with: "dataset: nowhere"))
            #expect(wrong.status == 422 && wrong.text.contains("unknown dataset 'nowhere'"), "\(wrong.text)")
        }
    }

    @Test func aChatQueryCloseToAnApprovedSampleIsAnsweredFromIt() async throws {
        try await DatasetAPITests.withServer { server in
            _ = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "support", "kind": "samples"}"#)
            let lines = """
                {"messages": [{"role": "user", "content": "How do I stop Loom?"}, {"role": "assistant", "content": "Run ./deploy/dev down."}]}
                {"messages": [{"role": "user", "content": "How do I delete my account?"}, {"role": "assistant", "content": "Not yet."}], "status": "pending"}
                """
            _ = try await server.admin(.POST, "/admin/datasets/support/samples", body: lines)
            let key = try await server.publish(Self.annotatedChatApp)
            let hit = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "how do i stop loom", "user": "ana"}"#)
            #expect(hit.body[path: ["answer"]] == "Run ./deploy/dev down.", "\(hit.text)")
            #expect((hit.body[path: ["metadata", "annotation_reply", "score"]]?.numberValue ?? 0) >= 0.8)
            // A pending sample never answers, and a far query runs the app.
            let pending = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "How do I delete my account?", "user": "ana"}"#)
            #expect(pending.body[path: ["answer"]] == "I ran for: How do I delete my account?")
            var streamed = ""
            _ = try await server.stream("/v1/chat-messages", token: key, body: #"{"query": "How can I stop Loom?", "response_mode": "streaming", "user": "bo"}"#) { frame in
                if frame.event == "message", case .data(let value) = frame { streamed += value[path: ["answer"]]?.text ?? "" }
                return true
            }
            #expect(streamed == "Run ./deploy/dev down.")
            let dataset = try await server.store.datasets.get("support")
            let id = try #require(hit.body[path: ["metadata", "annotation_reply", "id"]]?.numberValue).rounded()
            #expect(try await server.store.samples.hits(dataset) == [Int64(id): 2])
            let listed = try await server.admin(.GET, "/admin/datasets/support/samples?status=approved")
            #expect(listed.body[path: ["data", "0", "hits"]] == 2)
            let conversation = try #require(hit.body[path: ["conversation_id"]]?.stringValue)
            let messages = try await server.request(.GET, "/v1/messages?conversation_id=\(conversation)&user=ana", token: key)
            #expect(messages.body[path: ["data", "0", "answer"]] == "Run ./deploy/dev down.")
        }
    }

    /// A chat app that answers from approved `support` samples above 0.8, else says it ran.
    static let annotatedChatApp = """
        app: helper
        mode: chat
        nodes:
          - {id: answer, type: answer, answer: "I ran for: {{ sys.query }}"}
        annotations: {dataset: support, reply_threshold: 0.8}
        """

    @Test func withTheEmbeddingModelDownAChatAppStillRuns() async throws {
        // Port 1 refuses connections: the embedding model is unreachable, as when its worker has died.
        let catalog = ModelCatalog(endpoints: ["minilm-l6": ModelEndpoint(name: "minilm-l6", baseURL: "http://127.0.0.1:1/v1", model: "minilm-l6")], defaultName: nil)
        try await ServerHarness.with(catalog: catalog) { server in
            _ = try await server.store.datasets.create(DatasetSpec(name: "support", kind: .samples, embeddingModel: "minilm-l6", dimensions: 384))
            let record = TrainingRecord.chat([.init(.user, "How do I stop Loom?"), .init(.assistant, "Run ./deploy/dev down.")])
            _ = try await server.store.samples.add("support", [SampleInput(record: record, status: .approved, source: [:])], message: "seed")
            let key = try await server.publish(Self.annotatedChatApp)
            let reply = try await server.request(.POST, "/v1/chat-messages", token: key, body: #"{"query": "How do I stop Loom?", "user": "ana"}"#)
            #expect(reply.status == 200 && reply.body[path: ["answer"]] == "I ran for: How do I stop Loom?", "\(reply.text)")
            let dataset = try await server.store.datasets.get("support")
            #expect(try await server.store.samples.hits(dataset).isEmpty)
        }
    }
}
