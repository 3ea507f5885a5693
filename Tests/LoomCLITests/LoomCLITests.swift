import Foundation
import LoomTestSupport
import LoomWorkflow
import Testing

/// The `loom` command as users meet it: exit codes, stdout, stderr.
@Suite struct LoomCLITests {
    @Test func validateAcceptsEveryExample() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: LoomProcess.root.appendingPathComponent("workflows").path).sorted()
        // agent-helper calls an HTTP tool of deploy/tools.yaml.
        let result = try await LoomProcess.run(["validate", "--tools", "deploy/tools.yaml"] + files.map { "workflows/\($0)" })
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").filter { $0.contains(": ok (") }.count == files.count)
        // The Dify export says what it mapped.
        #expect(result.stdout.contains("workflows/support-bot.dify.yml: ok (support-bot, 7 nodes)\n  Dify DSL 0.1.5 (advanced-chat): 7 nodes mapped, 0 not"))
    }

    @Test func validatePrintsEachProblemAsFileLineColumn() async throws {
        let file = try LoomProcess.scratchFile("broken.yaml", """
            app: broken
            nodes:
              - {id: a, type: template, template: "{{ missing.output }}", next: b}
              - {id: b, type: lmm}
            """)
        let good = LoomProcess.root.appendingPathComponent("workflows/ticket-triage.yaml").path
        let result = try await LoomProcess.run(["validate", good, file.path])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(good): ok (ticket-triage, 5 nodes)"))
        #expect(lines.count == 3, "\(lines)")
        #expect(lines[1] == "\(file.path):3:39: node 'a': reads 'missing.output', but there is no node, input or namespace named 'missing'")
        #expect(lines[2].hasPrefix("\(file.path):4:19: node 'b': unknown node type 'lmm'; known types: \(WorkflowLoader.builtInNodeTypes.map { $0.typeName }.sorted().joined(separator: ", "))"))
    }

    @Test func validateReportsMalformedJSONWithItsPosition() async throws {
        let file = try LoomProcess.scratchFile("flow.json", "{\"app\": \"x\",\n \"nodes\": [}\n")
        let result = try await LoomProcess.run(["validate", file.path])
        #expect(result.status == 1)
        #expect(result.stdout == "\(file.path):2:12: unexpected '}', expected a value\n")
    }

    @Test func validateReportsAMissingFile() async throws {
        let result = try await LoomProcess.run(["validate", "workflows/nope.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout == "workflows/nope.yaml:1:1: no such file\n")
    }

    @Test func runPrintsTheOutputsAsOneJSONObject() async throws {
        let result = try await LoomProcess.run(["run", "workflows/ticket-triage.yaml", "--input", "ticket=I want a refund", "--input", "customer=Ana"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == #"{"reply":"Hi Ana, your refund request is with our billing team.","route":"refund"}"# + "\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func runWritesEveryEventAsAJSONLineWithEvents() async throws {
        let result = try await LoomProcess.run(["run", "workflows/ticket-triage.yaml", "--inputs-json", #"{"ticket": "refund now"}"#, "--events"])
        #expect(result.status == 0)
        let events = try result.stderr.split(separator: "\n").map { try JSONDocumentReader.parse(String($0)).value }
        #expect(events.compactMap { $0[path: ["event"]]?.stringValue } == [
            "workflow_started", "node_started", "node_finished", "node_started", "node_finished", "node_started", "node_finished",
            "node_started", "node_finished", "workflow_finished",
        ])
        #expect(events.last?[path: ["data", "status"]] == "succeeded")
        #expect(Set(events.compactMap { $0[path: ["workflow_run_id"]] }).count == 1)
    }

    @Test func runRejectsAMissingRequiredInput() async throws {
        let result = try await LoomProcess.run(["run", "workflows/ticket-triage.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "workflows/ticket-triage.yaml: input 'ticket' is required\n")
    }

    @Test func runRejectsMalformedInputArguments() async throws {
        let bad = try await LoomProcess.run(["run", "workflows/ticket-triage.yaml", "--input", "ticket"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--input takes NAME=VALUE"))
        let badJSON = try await LoomProcess.run(["run", "workflows/ticket-triage.yaml", "--inputs-json", "[1"])
        #expect(badJSON.status == 1)
        #expect(badJSON.stderr.contains("--inputs-json must be a JSON object"))
    }

    @Test func runTakesFilesByURLForSysFilesAndRefusesOthers() async throws {
        let workflow = try LoomProcess.scratchFile("files.yaml", """
            app: files
            nodes:
              - {id: documents, type: list-operator, list: sys.files, filter: [{key: type, op: in, value: [document]}], next: done}
              - {id: done, type: end, outputs: {names: "{{ documents.result.0.filename }}", count: "{{ sys.files.length }}"}}
            """)
        let given = try await LoomProcess.run([
            "run", workflow.path, "--file", "image=https://example.com/logo.png", "--file", "document=https://example.com/docs/guide.pdf",
        ])
        #expect(given.status == 0, "\(given.stderr)")
        #expect(given.stdout == #"{"count":2,"names":"guide.pdf"}"# + "\n")
        let bad = try await LoomProcess.run(["run", workflow.path, "--file", "document=/etc/passwd"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--file document=/etc/passwd: 'url' must be an http or https URL"))
        let untyped = try await LoomProcess.run(["run", workflow.path, "--file", "https://example.com/a.pdf"])
        #expect(untyped.status == 1 && untyped.stderr.contains("give TYPE=URL"), "\(untyped.stderr)")
    }

    @Test func runCallsTheModelsFileEndpoint() async throws {
        try await TestHTTPServer.with({ _ in OpenAIStub.stream(["Sorry to hear ", "that."]) }) { port in
            let models = try LoomProcess.scratchFile("models.yaml", "default: stub\nmodels:\n  stub: {base_url: \"http://127.0.0.1:\(port)/v1\", model: smol}\n")
            let result = try await LoomProcess.run(["run", "workflows/ticket-triage.yaml", "--input", "ticket=App crashes", "--models", models.path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == #"{"reply":"Sorry to hear that.","route":"else"}"# + "\n")
        }
    }

    @Test func runFallsBackWhenNoModelAnswers() async throws {
        let port = try await TestHTTPServer.closedPort()
        let models = try LoomProcess.scratchFile("models.yaml", "default: down\nmodels:\n  down: {base_url: \"http://127.0.0.1:\(port)/v1\"}\n")
        let result = try await LoomProcess.run(["run", "workflows/ticket-triage.yaml", "--input", "ticket=App crashes", "--models", models.path])
        #expect(result.status == 0)
        #expect(result.stdout == #"{"reply":"Thanks for writing in; we will get back to you shortly.","route":"else"}"# + "\n")
    }

    @Test func runExitsNonZeroWhenTheRunFails() async throws {
        let file = try LoomProcess.scratchFile("div.yaml", "app: div\nnodes:\n  - {id: calc, type: tool, tool: calculator, arguments: {expression: \"1/0\"}}\n")
        let result = try await LoomProcess.run(["run", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("run failed: node 'calc' (tool) failed: tool 'calculator': division by zero at position 4"))
    }

    @Test func runRefusesAnUnknownModelInTheWorkflow() async throws {
        let models = try LoomProcess.scratchFile("models.yaml", "default: a\nmodels:\n  a: {base_url: \"http://127.0.0.1:9/v1\"}\n")
        let file = try LoomProcess.scratchFile("m.yaml", "app: m\nnodes:\n  - {id: ask, type: llm, model: gpt-7, prompt: hi}\n")
        let result = try await LoomProcess.run(["run", file.path, "--models", models.path])
        #expect(result.status == 1)
        #expect(result.stderr == "\(file.path):3:33: node 'ask': unknown model 'gpt-7'; the models file configures: a, default\n")
    }

    @Test func chatWithAJSONSchemaPrintsJSONTheSchemaAcceptsAndRefusesWhatItCannotFollow() async throws {
        let schema = try LoomProcess.scratchFile("ticket.json", #"{"type": "object", "properties": {"category": {"enum": ["billing", "bug", "other"]}, "urgent": {"type": "boolean"}}, "required": ["category", "urgent"]}"#)
        let chat = try await LoomProcess.run(["chat", "--message", "Classify: my invoice is wrong", "--json-schema", schema.path, "--max-tokens", "40"])
        #expect(chat.status == 0, "\(chat.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(chat.stdout.utf8)) as? [String: Any]
        #expect(["billing", "bug", "other"].contains(object?["category"] as? String ?? "") && object?["urgent"] is Bool, "\(chat.stdout)")
        let pattern = try LoomProcess.scratchFile("pattern.json", #"{"type": "string", "pattern": "^A"}"#)
        let refused = try await LoomProcess.run(["generate", "--prompt", "x", "--json-schema", pattern.path])
        #expect(refused.status == 2 && refused.stderr.contains("keyword 'pattern'"))
        let tight = try await LoomProcess.run(["chat", "--message", "x", "--json-schema", schema.path, "--max-tokens", "2"])
        #expect(tight.status == 2 && tight.stderr.contains("below the"))
    }

    @Test func toolsAreImportedFromOpenAPIListedWithSchemasAndCalled() async throws {
        let spec = """
            openapi: 3.0.3
            info: {title: Echo, version: "1"}
            paths:
              /items/{id}:
                get:
                  operationId: getItem
                  summary: One item.
                  parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
            """
        let specFile = try LoomProcess.scratchFile("echo.openapi.yaml", spec)
        let toolsFile = specFile.deletingLastPathComponent().appendingPathComponent("tools.yaml").path
        try await TestHTTPServer.with({ request in .json(#"{"path": "\#(request.path)", "auth": "\#(request.header("x-key") ?? "")"}"#) }) { port in
            let imported = try await LoomProcess.run([
                "tools", "import-openapi", "echo", specFile.path, "--base-url", "http://127.0.0.1:\(port)", "--auth", "header:X-Key", "--auth-env", "ECHO_KEY",
                "--tools", toolsFile,
            ])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("echo_getItem  GET /items/{id}"))
            #expect(try String(contentsOfFile: toolsFile, encoding: .utf8).contains("auth: {type: header, name: X-Key, env: ECHO_KEY}"))

            let list = try await LoomProcess.run(["tools", "list", "--json", "--tools", toolsFile])
            let tools = try JSONDocumentReader.parse(list.stdout).value.arrayValue ?? []
            #expect(tools.map { $0[path: ["name"]]?.stringValue ?? "" } == ["calculator", "current_time", "echo_getItem", "web_page"])
            #expect(tools.first { $0[path: ["name"]] == "echo_getItem" }?[path: ["input_schema", "properties", "id", "type"]] == "integer")

            let environment = ["ECHO_KEY": "k1", "LOOM_HTTP_ALLOW_PRIVATE": "1"]
            let call = try await LoomProcess.run(["tools", "call", "echo_getItem", "--args", #"{"id": 5}"#, "--tools", toolsFile], environment: environment)
            #expect(call.status == 0, "\(call.stderr)")
            #expect(try JSONDocumentReader.parse(call.stdout).value == ["path": "/items/5", "auth": "k1"])
            let blocked = try await LoomProcess.run(["tools", "call", "echo_getItem", "--args", #"{"id": 5}"#, "--tools", toolsFile], environment: ["ECHO_KEY": "k1"])
            #expect(blocked.status == 1 && blocked.stderr.contains("loopback"))
            let unknown = try await LoomProcess.run(["tools", "call", "nope", "--tools", toolsFile])
            #expect(unknown.status == 2 && unknown.stderr.contains("unknown tool 'nope'"))
        }
        let broken = try LoomProcess.scratchFile("broken.openapi.yaml", spec.replacingOccurrences(of: "[{name: id, in: path, required: true, schema: {type: integer}}]", with: "[{$ref: '#/components/parameters/Id'}]"))
        let refused = try await LoomProcess.run(["tools", "import-openapi", "bad", broken.path, "--base-url", "http://x", "--tools", toolsFile])
        #expect(refused.status == 2 && refused.stderr.contains("cannot resolve '#/components/parameters/Id'"))
    }
}
