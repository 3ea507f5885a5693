import Foundation
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

@Suite struct AdminAPITests {
    static let triage = try! String(contentsOf: ServerHarness.root.appendingPathComponent("workflows/ticket-triage.yaml"), encoding: .utf8)

    @Test func anInvalidWorkflowIsRefusedWithLoadersMessages() async throws {
        try await ServerHarness.with { server in
            let reply = try await server.admin(
                .POST, "/admin/apps?file=broken.yaml", body: "app: broken\nnodes:\n  - {id: a, type: nope}\n", contentType: "application/yaml")
            #expect(reply.status == 422)
            #expect(reply.body[path: ["code"]] == "invalid_workflow")
            #expect(reply.body[path: ["errors"]] == [.string("broken.yaml:3:19: node 'a': unknown node type 'nope'; known types: \(WorkflowLoader.builtInNodeTypes.map { $0.typeName }.sorted().joined(separator: ", "))")])
            let malformed = try await server.admin(.POST, "/admin/apps?file=bad.json", body: "{\"app\": ", contentType: "application/json")
            #expect(malformed.status == 422)
            #expect(malformed.body[path: ["errors", "0"]] == "bad.json:1:9: unexpected end of input, expected a value")
        }
    }

    @Test func aWorkflowNamingAnUnknownDatasetOrVersionIsRefusedAtDeploy() async throws {
        try await ServerHarness.with { server in
            _ = try await server.store.datasets.create(DatasetSpec(name: "handbook", embeddingModel: "minilm-l6", dimensions: 384))
            let workflow = { (dataset: String) in
                "app: ask\nnodes:\n  - {id: search, type: knowledge-retrieval, query: hi, datasets: [\(dataset)], next: done}\n  - {id: done, type: end}\n"
            }
            let unknown = try await server.admin(.POST, "/admin/apps?file=ask.yaml", body: workflow("manual"), contentType: "application/yaml")
            #expect(unknown.status == 422)
            #expect(unknown.body[path: ["errors"]] == [.string("ask.yaml:3:67: node 'search': unknown dataset 'manual' (knowledge datasets: handbook)")])
            let version = try await server.admin(.POST, "/admin/apps?file=ask.yaml", body: workflow("handbook@2"), contentType: "application/yaml")
            #expect(version.status == 422)
            #expect(version.body[path: ["errors", "0"]]?.stringValue?.hasSuffix("dataset 'handbook' has no version 2 (its latest is 0)") == true)
            let good = try await server.admin(.POST, "/admin/apps?file=ask.yaml", body: workflow("handbook"), contentType: "application/yaml")
            #expect(good.status == 201)
        }
    }

    @Test func deployPublishRollBackAndDiff() async throws {
        try await ServerHarness.with { server in
            let first = try await server.admin(.POST, "/admin/apps", body: Self.triage, contentType: "application/yaml")
            #expect(first.status == 201 && first.body[path: ["version"]] == 1 && first.body[path: ["app", "published_version"]] == .null)
            let again = try await server.admin(.POST, "/admin/apps", body: "# a comment only\n" + Self.triage, contentType: "application/yaml")
            #expect(again.status == 200 && again.body[path: ["created"]] == false)
            let changed = Self.triage.replacingOccurrences(of: "max_tokens: 96", with: "max_tokens: 120")
            let second = try await server.admin(.POST, "/admin/apps?message=longer%20drafts", body: changed, contentType: "application/yaml")
            #expect(second.status == 201 && second.body[path: ["version"]] == 2)
            #expect(try await server.admin(.POST, "/admin/apps/ticket-triage/publish", body: #"{"version": 1}"#).body[path: ["published_version"]] == 1)
            #expect(try await server.admin(.POST, "/admin/apps/ticket-triage/publish", body: "{}").body[path: ["published_version"]] == 2)
            #expect(try await server.admin(.POST, "/admin/apps/ticket-triage/rollback").body[path: ["published_version"]] == 1)
            let missing = try await server.admin(.POST, "/admin/apps/ticket-triage/publish", body: #"{"version": 9}"#)
            #expect(missing.status == 404 && missing.body[path: ["code"]] == "version_not_found")
            let diff = try await server.admin(.GET, "/admin/apps/ticket-triage/diff?from=1&to=2")
            #expect(diff.body[path: ["changed_nodes"]] == ["draft"])
            #expect(diff.body[path: ["diff"]]?.text.contains("-    max_tokens: 96\n+    max_tokens: 120") == true)
            let versions = try await server.admin(.GET, "/admin/apps/ticket-triage/versions")
            #expect(versions.body[path: ["data", "1", "message"]] == "longer drafts")
            let version = try await server.admin(.GET, "/admin/apps/ticket-triage/versions/2")
            #expect(version.body[path: ["source"]]?.stringValue == changed)
            #expect(version.body[path: ["canonical_json", "app"]] == "ticket-triage")
        }
    }

    @Test func runsAreListedWithFiltersAndShownWithTheirNodes() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            for ticket in ["refund", "money back", "refund now"] {
                _ = try await server.request(.POST, "/v1/workflows/run", token: key, body: #"{"inputs": {"ticket": "\#(ticket)"}}"#)
            }
            let list = try await server.admin(.GET, "/admin/runs?app=ticket-triage&status=succeeded")
            #expect(list.body[path: ["data"]]?.arrayValue?.count == 3)
            #expect(try await server.admin(.GET, "/admin/runs?status=failed").body[path: ["data"]] == [])
            #expect(try await server.admin(.GET, "/admin/runs?status=weird").status == 400)
            let id = try #require(list.body[path: ["data", "0", "id"]]?.stringValue)
            let detail = try await server.admin(.GET, "/admin/runs/\(id)")
            #expect(detail.body[path: ["node_runs"]]?.arrayValue?.map { $0[path: ["node_id"]] } == ["route", "refund_reply", "pick", "done"])
        }
    }

    @Test func deletingAnAppTakesItsKeysAlong() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            #expect(try await server.admin(.DELETE, "/admin/apps/ticket-triage").status == 204)
            #expect(try await server.request(.POST, "/v1/workflows/run", token: key, body: "{}").status == 401)
            #expect(try await server.admin(.DELETE, "/admin/apps/ticket-triage").status == 404)
        }
    }

    @Test func callRunsAnAppWithTheAdminToken() async throws {
        try await ServerHarness.with { server in
            try await server.publishExample("ticket-triage.yaml")
            let reply = try await server.admin(.POST, "/admin/apps/ticket-triage/call", body: #"{"inputs": {"ticket": "refund"}}"#)
            #expect(reply.body[path: ["data", "outputs", "route"]] == "refund")
        }
    }
}

@Suite struct OperationsTests {
    @Test func healthReportsTheDatabaseAndModels() async throws {
        let port = try await TestHTTPServer.closedPort()
        try await ServerHarness.with(catalog: StubModel.catalog(port: port)) { server in
            let health = try await server.request(.GET, "/healthz")
            #expect(health.status == 200)
            #expect(health.body[path: ["status"]] == "degraded")
            #expect(health.body[path: ["database", "ok"]] == true)
            // Debian's PostgreSQL of the test command has no pgvector (VectorSearchTests use a cluster with it).
            #expect(health.body[path: ["database", "pgvector"]] == "absent" && health.body[path: ["vector_search"]] == "in-process", "\(health.body)")
            #expect(health.body[path: ["models", "0", "reachable"]] == false)
        }
    }

    @Test func metricsCountRequestsRunsAndNodes() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            // Twice, and once refused: each series counts its own requests (handles are made once and kept).
            for _ in 0..<2 { _ = try await server.request(.POST, "/v1/workflows/run", token: key, body: #"{"inputs": {"ticket": "refund"}}"#) }
            _ = try await server.request(.POST, "/v1/workflows/run", token: "loom-wrong", body: #"{"inputs": {"ticket": "refund"}}"#)
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains(#"loom_runs_total{app="ticket-triage",status="succeeded"} 2"#))
            #expect(metrics.contains(#"loom_http_requests_total{method="POST",route="/v1/workflows/run",status="200"} 2"#))
            #expect(metrics.contains(#"loom_http_requests_total{method="POST",route="/v1/workflows/run",status="401"} 1"#))
            #expect(metrics.contains(#"loom_node_duration_seconds_count{type="template",status="succeeded"} 2"#))
            #expect(metrics.contains("loom_active_streams"))
        }
    }

    @Test func theOpenAPIDocumentDescribesEveryRoute() async throws {
        try await ServerHarness.with { server in
            let document = try await server.request(.GET, "/openapi.json").body
            #expect(document[path: ["openapi"]] == "3.0.3")
            let paths = try #require(document[path: ["paths"]]?.objectValue)
            for (path, method) in [
                ("/v1/workflows/run", "post"), ("/v1/workflows/run/{id}", "get"), ("/v1/workflows/tasks/{id}/stop", "post"),
                ("/v1/chat-messages", "post"), ("/v1/conversations", "get"), ("/v1/messages", "get"), ("/apps/{app}/v1/workflows/run", "post"),
                ("/admin/apps", "post"), ("/admin/apps/{app}/versions", "get"), ("/admin/apps/{app}/publish", "post"),
                ("/admin/apps/{app}/rollback", "post"), ("/admin/apps/{app}/diff", "get"), ("/admin/apps/{app}/keys", "post"),
                ("/admin/keys/{id}", "delete"), ("/admin/runs", "get"), ("/admin/runs/{id}", "get"), ("/admin/models", "get"),
                ("/healthz", "get"), ("/metrics", "get"), ("/openapi.json", "get"),
            ] {
                #expect(paths[path]?[path: [method, "summary"]] != nil, "\(method) \(path)")
            }
            // Each documented operation answers (not a 404 from the router): probe them without credentials.
            for (path, operations) in paths {
                for method in operations.objectValue?.keys ?? [:].keys {
                    let concrete = path.replacingOccurrences(of: "{app}", with: "x").replacingOccurrences(of: "{id}", with: UUID().uuidString)
                        .replacingOccurrences(of: "{version}", with: "1")
                    let reply = try await server.request(.init(rawValue: method.uppercased()), concrete)
                    #expect(reply.body[path: ["message"]] != "no such route", "\(method) \(path)")
                }
            }
        }
    }
}
