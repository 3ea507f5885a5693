import Foundation
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

@Suite struct ServiceAPITests {
    @Test func aBlockingRunAnswersInDifysShapeAndIsRecorded() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            let reply = try await server.request(.POST, "/v1/workflows/run", token: key, body: #"{"inputs": {"ticket": "refund please", "customer": "Ana"}, "response_mode": "blocking", "user": "ana"}"#)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.body[path: ["data", "status"]] == "succeeded")
            #expect(reply.body[path: ["data", "outputs"]] == ["reply": "Hi Ana, your refund request is with our billing team.", "route": "refund"])
            let id = try #require(reply.body[path: ["workflow_run_id"]]?.stringValue)
            #expect(reply.body[path: ["task_id"]]?.stringValue == id)
            let runId = try #require(UUID(uuidString: id))
            let run = try #require(try await server.store.runs.find(runId))
            #expect(run.status == "succeeded" && run.user == "ana" && run.version == 1 && run.totalSteps == 4)
            #expect(try await server.store.runs.nodes(of: run.id).map(\.nodeId) == ["route", "refund_reply", "pick", "done"])
            let detail = try await server.request(.GET, "/v1/workflows/run/\(id)", token: key)
            #expect(detail.status == 200)
            #expect(detail.body[path: ["inputs"]] == ["ticket": "refund please", "customer": "Ana"])
            #expect(detail.body[path: ["outputs", "route"]] == "refund")
        }
    }

    @Test func aStreamingRunSendsEveryEventAsSSE() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            var events: [String] = []
            var runId: String?
            let status = try await server.stream("/v1/workflows/run", token: key, body: #"{"inputs": {"ticket": "money back"}, "response_mode": "streaming"}"#) { frame in
                events.append(frame.event ?? "?")
                if case .data(let value) = frame { runId = value[path: ["workflow_run_id"]]?.stringValue }
                return true
            }
            #expect(status == 200)
            #expect(events.first == "workflow_started" && events.last == "workflow_finished")
            #expect(events.filter { $0 == "node_finished" }.count == 4)
            let id = try #require(runId.flatMap(UUID.init(uuidString:)))
            try await server.eventually { try await server.store.runs.find(id)?.status == "succeeded" }
        }
    }

    @Test func everyAppHasItsOwnBaseURLAndKeysStayInTheirApp() async throws {
        try await ServerHarness.with { server in
            let triage = try await server.publishExample("ticket-triage.yaml")
            _ = try await server.publishExample("order-quote.yaml")
            let body = #"{"inputs": {"ticket": "refund"}}"#
            let own = try await server.request(.POST, "/apps/ticket-triage/v1/workflows/run", token: triage, body: body)
            #expect(own.status == 200)
            let other = try await server.request(.POST, "/apps/order-quote/v1/workflows/run", token: triage, body: body)
            #expect(other.status == 403)
            #expect(other.body == ["code": "forbidden", "message": "this key belongs to app 'ticket-triage', not 'order-quote'", "status": 403])
        }
    }

    @Test func badInputsAreInvalidParam() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("order-quote.yaml")
            let missing = try await server.request(.POST, "/v1/workflows/run", token: key, body: #"{"inputs": {"customer": "Acme"}}"#)
            #expect(missing.status == 400)
            #expect(missing.body == ["code": "invalid_param", "message": "input 'lines' is required", "status": 400])
            let mistyped = try await server.request(.POST, "/v1/workflows/run", token: key, body: #"{"inputs": {"customer": "A", "lines": [], "discount_percent": "lots"}}"#)
            #expect(mistyped.status == 400)
            #expect(mistyped.body[path: ["message"]] == "input 'discount_percent' must be a number, got string lots")
            let notJSON = try await server.request(.POST, "/v1/workflows/run", token: key, body: "{inputs:")
            #expect(notJSON.status == 400 && notJSON.body[path: ["code"]] == "invalid_param")
            let badMode = try await server.request(.POST, "/v1/workflows/run", token: key, body: #"{"inputs": {}, "response_mode": "fast"}"#)
            #expect(badMode.body[path: ["message"]] == "'response_mode' must be blocking or streaming, got 'fast'")
            let uploaded = try await server.request(
                .POST, "/v1/workflows/run", token: key, body: #"{"inputs": {}, "files": [{"type": "image", "transfer_method": "local_file", "upload_file_id": "u1"}]}"#)
            #expect(uploaded.status == 400 && uploaded.body[path: ["message"]]?.text.hasPrefix("files[0]: transfer_method 'local_file' is not taken") == true)
        }
    }

    @Test func filesGivenByURLReachTheWorkflowAsSysFiles() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publish("""
                app: attachments
                nodes:
                  - {id: done, type: end, outputs: {names: "{{#sys.files#}}"}}
                """)
            let body = #"{"inputs": {}, "files": [{"type": "document", "transfer_method": "remote_url", "url": "https://example.com/docs/Guide.PDF"}]}"#
            let run = try await server.request(.POST, "/v1/workflows/run", token: key, body: body)
            #expect(run.status == 200, "\(run.text)")
            #expect(run.body[path: ["data", "outputs", "names"]] == [[
                "type": "document", "transfer_method": "remote_url", "url": "https://example.com/docs/Guide.PDF",
                "remote_url": "https://example.com/docs/Guide.PDF", "filename": "Guide.PDF", "extension": ".pdf",
            ]])
        }
    }

    @Test func anOversizedBodyIsRefusedWith413() async throws {
        try await ServerHarness.with(configure: { $0.maxBodyBytes = 2048 }) { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            let big = #"{"inputs": {"ticket": ""# + String(repeating: "x", count: 4000) + #""}}"#
            let reply = try await server.request(.POST, "/v1/workflows/run", token: key, body: big)
            #expect(reply.status == 413)
            #expect(reply.body[path: ["code"]] == "payload_too_large")
        }
    }

    @Test func unknownRunsAndRoutesAre404() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            let run = try await server.request(.GET, "/v1/workflows/run/\(UUID().uuidString)", token: key)
            #expect(run.status == 404 && run.body[path: ["code"]] == "not_found")
            let stop = try await server.request(.POST, "/v1/workflows/tasks/\(UUID().uuidString)/stop", token: key)
            #expect(stop.status == 404)
            let route = try await server.request(.GET, "/v1/nothing-here", token: key)
            #expect(route.status == 404 && route.body == ["code": "not_found", "message": "no such route", "status": 404])
            let app = try await server.admin(.GET, "/admin/apps/ghost")
            #expect(app.status == 404 && app.body[path: ["message"]] == "no app 'ghost'")
        }
    }

    @Test func aRunOfAnotherAppIsNotVisible() async throws {
        try await ServerHarness.with { server in
            let triage = try await server.publishExample("ticket-triage.yaml")
            let quote = try await server.publishExample("order-quote.yaml")
            let reply = try await server.request(.POST, "/v1/workflows/run", token: triage, body: #"{"inputs": {"ticket": "refund"}}"#)
            let id = try #require(reply.body[path: ["workflow_run_id"]]?.stringValue)
            #expect(try await server.request(.GET, "/v1/workflows/run/\(id)", token: quote).status == 404)
        }
    }

    @Test func chatAppsRefuseTheWorkflowRoute() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("support-chat.yaml")
            let reply = try await server.request(.POST, "/v1/workflows/run", token: key, body: #"{"inputs": {}}"#)
            #expect(reply.status == 400 && reply.body[path: ["code"]] == "not_workflow_app")
        }
    }
}

@Suite struct AuthenticationTests {
    @Test func missingWrongAndRevokedKeysAre401() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            let body = #"{"inputs": {"ticket": "refund"}}"#
            #expect(try await server.request(.POST, "/v1/workflows/run", body: body).status == 401)
            #expect(try await server.request(.POST, "/v1/workflows/run", token: "loom-nope", body: body).status == 401)
            #expect(try await server.request(.POST, "/v1/workflows/run", token: key, body: body).status == 200)
            let keys = try await server.admin(.GET, "/admin/keys?app=ticket-triage")
            let id = try #require(keys.body[path: ["data", "0", "id"]]?.stringValue)
            #expect(keys.body[path: ["data", "0", "prefix"]]?.stringValue == String(key.prefix(13)))
            #expect(try await server.admin(.DELETE, "/admin/keys/\(id)").status == 204)
            let revoked = try await server.request(.POST, "/v1/workflows/run", token: key, body: body)
            #expect(revoked.status == 401)
            #expect(revoked.body == ["code": "unauthorized", "message": "unknown or revoked API key", "status": 401])
        }
    }

    @Test func aRevocationOrPublishThroughOneServerReachesTheOthers() async throws {
        let database = try await TestDatabase.create()
        try await ServerHarness.with(databaseURL: database) { first in
            let key = try await first.publishExample("ticket-triage.yaml")
            try await ServerHarness.with(databaseURL: database) { second in
                let body = #"{"inputs": {"ticket": "refund"}}"#
                #expect(try await first.request(.POST, "/v1/workflows/run", token: key, body: body).body[path: ["data", "version"]] == 1)
                // A new version published through the second server is what the first one runs next.
                let changed = try String(contentsOf: ServerHarness.root.appendingPathComponent("workflows/ticket-triage.yaml"), encoding: .utf8)
                    .replacingOccurrences(of: "your refund request is with", with: "your refund is with")
                _ = try await second.admin(.POST, "/admin/apps?publish=true", body: changed, contentType: "application/yaml")
                try await first.eventually(timeout: .seconds(2)) {
                    try await first.request(.POST, "/v1/workflows/run", token: key, body: body).body[path: ["data", "version"]] == 2
                }
                let keys = try await second.admin(.GET, "/admin/keys?app=ticket-triage")
                let id = try #require(keys.body[path: ["data", "0", "id"]]?.stringValue)
                #expect(try await second.admin(.DELETE, "/admin/keys/\(id)").status == 204)
                try await first.eventually(timeout: .seconds(2)) {
                    try await first.request(.POST, "/v1/workflows/run", token: key, body: body).status == 401
                }
            }
        }
    }

    @Test func appKeysAndTheAdminTokenOpenOnlyTheirOwnAPIs() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            #expect(try await server.request(.GET, "/admin/apps", token: key).status == 401)
            #expect(try await server.request(.POST, "/v1/workflows/run", token: ServerHarness.adminToken, body: "{}").status == 401)
            #expect(try await server.request(.GET, "/admin/apps").status == 401)
            #expect(try await server.admin(.GET, "/admin/apps").status == 200)
        }
    }
}
