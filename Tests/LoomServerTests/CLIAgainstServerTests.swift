import Foundation
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

/// The admin commands of `loom`, run as a process against a live server.
@Suite struct CLIAgainstServerTests {
    private func loom(_ server: ServerHarness, _ arguments: [String], token: String? = ServerHarness.adminToken) async throws -> LoomProcess.Result {
        var environment = ["LOOM_SERVER": server.baseURL, "LOOM_HOME": "/nonexistent"]
        environment["LOOM_TOKEN"] = token ?? ""
        return try await LoomProcess.run(arguments, environment: environment)
    }

    @Test func deployPublishKeyCallAndInspect() async throws {
        try await ServerHarness.with { server in
            let deploy = try await loom(server, ["apps", "deploy", "workflows/ticket-triage.yaml", "workflows/order-quote.yaml", "--publish"])
            #expect(deploy.status == 0, "\(deploy.stdout)\(deploy.stderr)")
            #expect(deploy.stdout.contains("workflows/ticket-triage.yaml: ticket-triage version 1 (new version), published"))
            let again = try await loom(server, ["apps", "deploy", "workflows/ticket-triage.yaml"])
            #expect(again.stdout.contains("ticket-triage version 1 (unchanged)"))

            let list = try await loom(server, ["apps", "list"])
            #expect(list.stdout.split(separator: "\n").first?.hasPrefix("APP") == true)
            #expect(list.stdout.contains("ticket-triage") && list.stdout.contains("order-quote"))
            let json = try JSONDocumentReader.parse(try await loom(server, ["apps", "list", "--json"]).stdout).value
            #expect(json[path: ["data"]]?.arrayValue?.count == 2)

            let key = try await loom(server, ["keys", "create", "ticket-triage"])
            let secret = key.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(secret.hasPrefix("loom-") && key.stderr.contains("shown once"))
            let run = try await server.request(.POST, "/v1/workflows/run", token: secret, body: #"{"inputs": {"ticket": "refund"}}"#)
            #expect(run.status == 200)

            let call = try await loom(server, ["call", "order-quote", "--input", "customer=Acme", "--inputs-json", #"{"lines": [{"sku": "a", "qty": 2, "unit_price": 3}]}"#])
            #expect(call.status == 0, "\(call.stderr)")
            #expect(try JSONDocumentReader.parse(call.stdout).value[path: ["total"]] == 6)

            let runs = try await loom(server, ["runs", "list", "--app", "ticket-triage"])
            #expect(runs.stdout.contains("succeeded"))
            let id = try #require(run.body[path: ["workflow_run_id"]]?.stringValue)
            let show = try await loom(server, ["runs", "show", id])
            #expect(show.stdout.contains("refund_reply") && show.stdout.contains("status: succeeded"))
        }
    }

    @Test func samplesAreImportedReviewedEditedAndExported() async throws {
        try await ServerHarness.with { server in
            _ = try await server.store.datasets.create(DatasetSpec(name: "support", kind: .samples, embeddingModel: "minilm-l6", dimensions: 384))
            let file = try LoomProcess.scratchFile("seed.jsonl", """
                {"messages": [{"role": "user", "content": "Where are logs?"}, {"role": "assistant", "content": "In .loom/logs."}]}
                {"prompt": "Port?", "completion": "8080"}
                """)
            let imported = try await loom(server, ["samples", "import", "support", file.path, "--status", "pending"])
            #expect(imported.stdout == "imported 2 samples into support (0 duplicates skipped): version 1\n", "\(imported.stderr)")
            let list = try await loom(server, ["samples", "list", "support", "--status", "pending"])
            #expect(list.stdout.hasPrefix("ID") && list.stdout.contains("Where are logs?") && list.stdout.contains("seed.jsonl"))
            let ids = try JSONDocumentReader.parse(try await loom(server, ["samples", "list", "support", "--json"]).stdout).value[path: ["data"]]?
                .arrayValue?.compactMap { $0[path: ["id"]]?.text } ?? []
            #expect(ids.count == 2)
            let approve = try await loom(server, ["samples", "approve", "support", ids[0]])
            #expect(approve.stdout == "approved 1 sample of support: version 2\n")
            #expect(try await loom(server, ["samples", "reject", "support", ids[1]]).stdout == "rejected 1 sample of support: version 3\n")

            // $EDITOR edits the JSON in place: here a sed script that rewrites the answer.
            let edit = try await LoomProcess.run(
                ["samples", "edit", "support", ids[0]],
                environment: ["LOOM_SERVER": server.baseURL, "LOOM_TOKEN": ServerHarness.adminToken, "EDITOR": "sed -i s#loom/logs#var/log/loom#"])
            #expect(edit.stdout == "saved sample \(ids[0]) of support: version 4\n", "\(edit.stderr)")
            let export = try await loom(server, ["samples", "export", "support"])
            #expect(export.stdout == #"{"messages":[{"content":"Where are logs?","role":"user"},{"content":"In .var/log/loom.","role":"assistant"}]}"# + "\n")
            let first = try await loom(server, ["samples", "export", "support", "--version", "1", "--status", "all", "--with-review"])
            #expect(first.stdout.split(separator: "\n").count == 2 && first.stdout.contains(#""status":"pending""#))
            let unchanged = try await LoomProcess.run(
                ["samples", "edit", "support", ids[0]], environment: ["LOOM_SERVER": server.baseURL, "LOOM_TOKEN": ServerHarness.adminToken, "EDITOR": "true"])
            #expect(unchanged.stdout == "no change to sample \(ids[0])\n")
            let versions = try await loom(server, ["datasets", "versions", "support"])
            #expect(versions.stdout.contains("SAMPLES") && versions.stdout.contains("approve 1 sample"))
            let missing = try await loom(server, ["samples", "approve", "support", "999999"])
            #expect(missing.status != 0 && missing.stderr.contains("has no sample 999999"))
        }
    }

    @Test func versionsPublishRollbackAndDiff() async throws {
        try await ServerHarness.with { server in
            _ = try await loom(server, ["apps", "deploy", "workflows/ticket-triage.yaml", "--publish"])
            let changed = try String(contentsOf: ServerHarness.root.appendingPathComponent("workflows/ticket-triage.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "max_tokens: 96", with: "max_tokens: 64")
            let file = try LoomProcess.scratchFile("ticket-triage.yaml", changed)
            #expect(try await loom(server, ["apps", "deploy", file.path, "--message", "shorter"]).stdout.contains("version 2 (new version)"))
            #expect(try await loom(server, ["apps", "publish", "ticket-triage"]).stdout == "ticket-triage: version 2 is published\n")
            #expect(try await loom(server, ["apps", "rollback", "ticket-triage"]).stdout == "ticket-triage: rolled back to version 1\n")
            let versions = try await loom(server, ["apps", "versions", "ticket-triage"])
            #expect(versions.stdout.contains("*1") && versions.stdout.contains("shorter"))
            let diff = try await loom(server, ["apps", "diff", "ticket-triage", "1", "2"])
            #expect(diff.stdout.contains("changed nodes: draft"))
            #expect(diff.stdout.contains("+    max_tokens: 64"))
            let missing = try await loom(server, ["apps", "publish", "ticket-triage", "--version", "7"])
            #expect(missing.status != 0 && missing.stderr.contains("app 'ticket-triage' has no version 7"))
        }
    }

    @Test func anAppExportedAsDifyDeploysAndRunsAgain() async throws {
        try await ServerHarness.with { server in
            _ = try await loom(server, ["apps", "deploy", "workflows/order-quote.yaml", "--publish"])
            let file = try LoomProcess.scratchFile("order-quote.dify.yml", "")
            let export = try await loom(server, ["apps", "export", "order-quote", "--format", "dify", "--out", file.path])
            #expect(export.status == 0, "\(export.stderr)")
            let dsl = try String(contentsOf: file, encoding: .utf8)
            #expect(dsl.contains("kind: app") && dsl.contains("version: 0.3.0") && dsl.contains("type: iteration-start"))
            // Dify names the app by its name: deploying the export makes a new version of the same app.
            let deploy = try await loom(server, ["apps", "deploy", file.path, "--publish"])
            #expect(deploy.stdout.contains("order-quote version 2 (new version), published"), "\(deploy.stdout)\(deploy.stderr)")
            let call = try await loom(server, ["call", "order-quote", "--input", "customer=Acme", "--inputs-json", #"{"lines": [{"sku": "a", "qty": 2, "unit_price": 3}]}"#])
            #expect(call.status == 0, "\(call.stderr)")
            #expect(try JSONDocumentReader.parse(call.stdout).value[path: ["total"]] == 6)
            // A version deployed from a Dify DSL exports as it was deployed; the source of version 1 as written.
            let again = try await loom(server, ["apps", "export", "order-quote", "--format", "dify"])
            #expect(again.stdout == dsl && again.stderr.contains("written as deployed"))
            let source = try await loom(server, ["apps", "export", "order-quote", "--version", "1"])
            #expect(source.stdout == (try String(contentsOf: ServerHarness.root.appendingPathComponent("workflows/order-quote.yaml"), encoding: .utf8)))
            let missing = try await loom(server, ["apps", "export", "nope", "--format", "dify"])
            #expect(missing.status != 0 && missing.stderr.contains("nope"))
        }
    }

    @Test func errorsSayWhatToDo() async throws {
        try await ServerHarness.with { server in
            let noToken = try await loom(server, ["apps", "list"], token: nil)
            #expect(noToken.status != 0 && noToken.stderr.contains("no admin token: pass --token, set LOOM_TOKEN"))
            let wrong = try await loom(server, ["apps", "list"], token: "nope")
            #expect(wrong.stderr.contains("check --token / LOOM_TOKEN"))
            let broken = try LoomProcess.scratchFile("broken.yaml", "app: broken\nnodes:\n  - {id: a, type: nope}\n")
            let invalid = try await loom(server, ["apps", "deploy", broken.path])
            #expect(invalid.status == 1)
            #expect(invalid.stdout.contains("\(broken.path):3:19: node 'a': unknown node type 'nope'"))
            let port = try await TestHTTPServer.closedPort()
            let down = try await LoomProcess.run(["apps", "list"], environment: ["LOOM_SERVER": "http://127.0.0.1:\(port)", "LOOM_TOKEN": "x"])
            #expect(down.stderr.contains("cannot reach the Loom server at http://127.0.0.1:\(port)"))
            #expect(down.stderr.contains("./deploy/dev up"))
        }
    }
}
