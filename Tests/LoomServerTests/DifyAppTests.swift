import Foundation
import LoomConnectors
import LoomServer
import LoomTestSupport
import LoomWorkflow
import Testing

/// A Dify export of a typical chat app (start → code → if-else → knowledge-retrieval → llm → answer) deploys
/// unchanged with `loom apps deploy --map` and answers over /v1/chat-messages with the bundled models.
@Suite(.serialized) struct DifyAppTests {
    @Test func aDifyExportDeploysUnchangedAndAnswersChatMessages() async throws {
        try await TestWorker.with { baseURL, _, _ in
            let catalog = ModelCatalog(
                endpoints: [
                    "smollm2-135m": ModelEndpoint(name: "smollm2-135m", baseURL: baseURL + "/v1", model: "smollm2-135m"),
                    "minilm-l6": ModelEndpoint(name: "minilm-l6", baseURL: baseURL + "/v1", model: "minilm-l6"),
                ], defaultName: "smollm2-135m")
            try await ServerHarness.with(catalog: catalog) { server in
                let created = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "loom-docs", "chunk_tokens": 60, "chunk_overlap": 10}"#)
                #expect(created.status == 201)
                let upload = try await server.admin(.POST, "/admin/datasets/loom-docs/documents?file=guide.md", body: DatasetImporterTests.guide, contentType: "text/markdown")
                #expect(upload.status == 200)

                let environment = ["LOOM_SERVER": server.baseURL, "LOOM_TOKEN": ServerHarness.adminToken, "LOOM_HOME": "/nonexistent"]
                let unmapped = try await LoomProcess.run(["apps", "deploy", "workflows/support-bot.dify.yml"], environment: environment)
                // Without the mapping the dataset id is unknown: the app still loads, and the retrieval node is reported.
                #expect(unmapped.stdout.contains("node '1711000000004' (knowledge-retrieval) not mapped"), "\(unmapped.stdout)\(unmapped.stderr)")
                let deploy = try await LoomProcess.run(
                    ["apps", "deploy", "workflows/support-bot.dify.yml", "--map", "deploy/dify-mapping.yaml", "--publish"], environment: environment)
                #expect(deploy.status == 0, "\(deploy.stdout)\(deploy.stderr)")
                #expect(deploy.stdout.contains("support-bot version 2 (new version), published"))
                let again = try await LoomProcess.run(
                    ["apps", "deploy", "workflows/support-bot.dify.yml", "--map", "deploy/dify-mapping.yaml"], environment: environment)
                #expect(again.stdout.contains("support-bot version 2 (unchanged)"))

                let badMapping = try await server.admin(
                    .POST, "/admin/apps?file=support-bot.yml", body: JSONWriter.string(["source": "kind: app", "dify_mapping": ["models": ["gpt": 1]]]))
                #expect(badMapping.status == 400 && badMapping.body[path: ["code"]] == "invalid_param", "\(badMapping.text)")

                let version = try await server.admin(.GET, "/admin/apps/support-bot/versions/2")
                #expect(version.body[path: ["format"]] == "dify")
                let source = try String(contentsOfFile: ServerHarness.root.appendingPathComponent("workflows/support-bot.dify.yml").path, encoding: .utf8)
                #expect(version.body[path: ["source"]]?.stringValue == source)

                let key = try #require(try await server.admin(.POST, "/admin/apps/support-bot/keys", body: "{}").body[path: ["key"]]?.stringValue)
                let greeting = try await server.request(
                    .POST, "/v1/chat-messages", token: key, body: #"{"query": " hello! ", "inputs": {}, "response_mode": "blocking", "user": "ana"}"#)
                #expect(greeting.status == 200, "\(greeting.text)")
                #expect(greeting.body[path: ["answer"]] == "Hello! Ask me anything about Loom.")

                let question = try await server.request(
                    .POST, "/v1/chat-messages", token: key,
                    body: #"{"query": "How do I back up the database?", "inputs": {}, "response_mode": "blocking", "user": "ana"}"#)
                #expect(question.status == 200, "\(question.text)")
                let answer = try #require(question.body[path: ["answer"]]?.stringValue)
                #expect(!answer.isEmpty && answer != "Hello! Ask me anything about Loom.")
                let runId = try #require(question.body[path: ["task_id"]]?.stringValue)
                // The run's record is written behind the answer; wait for it briefly.
                var retrieval: Value?
                for _ in 0..<50 where retrieval == nil {
                    let run = try await server.admin(.GET, "/admin/runs/\(runId)")
                    retrieval = run.body[path: ["node_runs"]]?.arrayValue?.first { $0[path: ["node_id"]] == "1711000000004" }
                    if retrieval == nil { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(retrieval?[path: ["outputs", "context"]]?.stringValue?.contains("pg_dump") == true, "\(String(describing: retrieval))")
            }
        }
    }
}
