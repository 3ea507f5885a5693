import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LoomTestSupport
import LoomWorkflow
import MCP
import SystemPackage
import Testing

/// `loom mcp serve` as an MCP client meets it: the SDK's client talks to the real process over its stdin and
/// stdout, and the process calls a live Loom server with an app key.
@Suite struct MCPServerTests {
    /// ticket-triage's arguments for a refund, as a tool call sends them.
    static let refund = #"{"ticket": "Please give my money back", "customer": "Ana"}"#
    static let refundArguments: [String: MCP.Value] = ["ticket": .string("Please give my money back"), "customer": .string("Ana")]

    @Test func anMCPClientListsAndCallsAPublishedApp() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            let process = Process()
            process.executableURL = LoomProcess.executable
            process.arguments = ["mcp", "serve", "--server", server.baseURL, "--key", key]
            let toServer = Pipe()
            let fromServer = Pipe()
            let errors = Pipe()
            process.standardInput = toServer
            process.standardOutput = fromServer
            process.standardError = errors
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            let transport = StdioTransport(
                input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
                output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
            let client = Client(name: "loom-test", version: "1")
            try await client.connect(transport: transport)
            let tools = try await client.listTools().tools
            #expect(tools.map(\.name) == ["ticket-triage"])
            let schema = try #require(tools.first?.inputSchema)
            #expect(schema.objectValue?["required"] == .array([.string("ticket")]))
            #expect(schema.objectValue?["properties"]?.objectValue?["ticket"]?.objectValue?["type"] == .string("string"))

            let call = try await client.callTool(name: "ticket-triage", arguments: Self.refundArguments)
            #expect(call.isError == false)
            guard case .text(let text, _, _)? = call.content.first else { Issue.record("no text content: \(call.content)"); return }
            #expect(text.contains("your refund request is with our billing team"), "\(text)")

            let missing = try await client.callTool(name: "ticket-triage", arguments: [:])
            #expect(missing.isError == true)
            let unknown = try await client.callTool(name: "nope", arguments: [:])
            #expect(unknown.isError == true)
            await client.disconnect()
        }
    }

    /// The server's own endpoint: an MCP client that speaks streamable HTTP lists and calls the app its key opens.
    @Test func anMCPClientOverHTTPListsAndCallsThePublishedAppItsKeyOpens() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            let transport = HTTPClientTransport(endpoint: URL(string: server.baseURL + "/mcp")!, streaming: false) { request in
                var request = request
                request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
                return request
            }
            let client = Client(name: "loom-test", version: "1")
            try await client.connect(transport: transport)
            let tools = try await client.listTools().tools
            #expect(tools.map(\.name) == ["ticket-triage"])
            #expect(tools.first?.inputSchema.objectValue?["required"] == .array([.string("ticket")]))
            let call = try await client.callTool(name: "ticket-triage", arguments: Self.refundArguments)
            #expect(call.isError == false)
            guard case .text(let text, _, _)? = call.content.first else { Issue.record("no text content: \(call.content)"); return }
            #expect(text.contains("your refund request is with our billing team"), "\(text)")
            await client.disconnect()

            // Without a key, or with a wrong one, nothing is served.
            let initialize = #"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}}"#
            #expect(try await server.request(.POST, "/mcp", body: initialize).status == 401)
            #expect(try await server.request(.POST, "/mcp", token: "loom-not-a-key", body: initialize).status == 401)
            let runs = try await server.admin(.GET, "/admin/runs?app=ticket-triage")
            #expect(runs.body[path: ["data"]]?.arrayValue?.count == 1, "the call was recorded as a run: \(runs.text)")

            // The same endpoint as a streamable-HTTP server of a tools.yaml: Loom calling Loom over MCP.
            let file = try LoomProcess.scratchFile("tools.yaml", "mcp:\n  loom: {url: \"\(server.baseURL)/mcp\", bearer_env: LOOM_APP_KEY, timeout_s: 30}\n")
            let called = try await LoomProcess.run(
                ["tools", "call", "loom_ticket-triage", "--tools", file.path, "--args", Self.refund],
                environment: ["LOOM_APP_KEY": key])
            #expect(called.status == 0 && called.stdout.contains("billing team"), "\(called.stdout)\(called.stderr)")
            let keyless = try await LoomProcess.run(["tools", "list", "--tools", file.path])
            #expect(keyless.status == 2 && keyless.stderr.contains("MCP server 'loom' is unavailable: the variable LOOM_APP_KEY holding its token is not set"), "\(keyless.stderr)")
            let refused = try await LoomProcess.run(["tools", "list", "--tools", file.path], environment: ["LOOM_APP_KEY": "loom-not-a-key"])
            #expect(refused.status == 2 && refused.stderr.contains("MCP server 'loom' is unavailable"), "\(refused.stderr)")
        }
    }

    /// tools.yaml `apps:`: a published app is a tool of other workflows and agents, reached with its app key.
    @Test func aPublishedAppIsAToolOfAnotherWorkflow() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            let tools = try LoomProcess.scratchFile("tools.yaml", "apps:\n  triage: {server: \"\(server.baseURL)\", key_env: TRIAGE_KEY}\n")
            let environment = ["TRIAGE_KEY": key]

            let listed = try await LoomProcess.run(["tools", "list", "--json", "--tools", tools.path], environment: environment)
            #expect(listed.status == 0, "\(listed.stderr)")
            let triage = (try JSONDocumentReader.parse(listed.stdout).value.arrayValue ?? []).first { $0[path: ["name"]] == "triage" }
            #expect(triage?[path: ["input_schema", "required"]] == ["ticket"], "\(listed.stdout)")

            let called = try await LoomProcess.run(
                ["tools", "call", "triage", "--tools", tools.path, "--args", Self.refund],
                environment: environment)
            #expect(called.status == 0 && called.stdout.contains("your refund request is with our billing team"), "\(called.stdout)\(called.stderr)")

            let caller = try LoomProcess.scratchFile("caller.yaml", """
                app: caller
                inputs: {ticket: {type: text, required: true}}
                nodes:
                  - {id: ask, type: tool, tool: triage, arguments: {ticket: "{{ inputs.ticket }}", customer: Ana}, next: done}
                  - {id: done, type: end, outputs: {reply: "{{ ask.output }}"}}
                """)
            let ran = try await LoomProcess.run(["run", caller.path, "--tools", tools.path, "--input", "ticket=I want a refund"], environment: environment)
            #expect(ran.status == 0 && ran.stdout.contains("billing team"), "\(ran.stdout)\(ran.stderr)")

            let keyless = try await LoomProcess.run(["tools", "list", "--tools", tools.path])
            #expect(keyless.status == 2 && keyless.stderr.contains("app tool 'triage': the variable TRIAGE_KEY holding its app key is not set"), "\(keyless.stderr)")
            let wrong = try await LoomProcess.run(["tools", "list", "--tools", tools.path], environment: ["TRIAGE_KEY": "loom-not-a-key"])
            #expect(wrong.status == 2 && wrong.stderr.contains("app tool 'triage': the Loom server answered 401"), "\(wrong.stderr)")
        }
    }

    @Test func aWrongKeyEndsTheServerWithTheReason() async throws {
        try await ServerHarness.with { server in
            let result = try await LoomProcess.run(["mcp", "serve", "--server", server.baseURL, "--key", "loom-not-a-key"])
            #expect(result.status == 1 && result.stderr.contains("401"), "\(result.stderr)")
            let none = try await LoomProcess.run(["mcp", "serve", "--server", server.baseURL])
            #expect(none.status == 2 && none.stderr.contains("no app key"))
        }
    }

    @Test func anMCPServerInToolsYAMLGivesItsToolsAndOneThatCrashesOrStaysSilentIsNamed() async throws {
        try await ServerHarness.with { server in
            let key = try await server.publishExample("ticket-triage.yaml")
            let loom = LoomProcess.executable.path
            let tools = try LoomProcess.scratchFile("tools.yaml", """
                mcp:
                  apps: {command: \(loom), args: [mcp, serve, --server, "\(server.baseURL)", --key, \(key)]}
                """)
            let list = try await LoomProcess.run(["tools", "list", "--json", "--tools", tools.path])
            #expect(list.status == 0, "\(list.stderr)")
            let listed = try JSONDocumentReader.parse(list.stdout).value.arrayValue ?? []
            let triage = try #require(listed.first { $0[path: ["name"]] == "apps_ticket-triage" }, "\(list.stdout)")
            #expect(triage[path: ["input_schema", "required"]] == ["ticket"])
            let call = try await LoomProcess.run(["tools", "call", "apps_ticket-triage", "--args", #"{"ticket": "Please give my money back"}"#, "--tools", tools.path])
            #expect(call.status == 0, "\(call.stderr)")
            #expect(call.stdout.contains("your refund request is with our billing team"), "\(call.stdout)")

            let crashing = try LoomProcess.scratchFile("tools.yaml", "mcp:\n  broken: {command: sh, args: [-c, 'echo cannot open the index >&2; exit 3']}\n")
            let crashed = try await LoomProcess.run(["tools", "list", "--tools", crashing.path])
            #expect(crashed.status == 2 && crashed.stderr.contains("MCP server 'broken' is unavailable"), "\(crashed.stderr)")
            #expect(crashed.stderr.contains("exited with status 3") && crashed.stderr.contains("cannot open the index"), "\(crashed.stderr)")
            // As from a shell, where SIGPIPE kills (this test process ignores it, and children inherit that): writing to
            // the dead server killed loom in about half the runs, silently, with status 141.
            for _ in 0..<5 {
                let fromShell = try await LoomProcess.run(URL(fileURLWithPath: "/usr/bin/env"), [
                    "python3", "-c", "import os, signal, sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
                    LoomProcess.executable.path, "tools", "list", "--tools", crashing.path,
                ])
                #expect(fromShell.status == 2 && fromShell.stderr.contains("exited with status 3"), "\(fromShell.status): \(fromShell.stderr)")
            }
            let silent = try LoomProcess.scratchFile("tools.yaml", "mcp:\n  silent: {command: sleep, args: ['30'], timeout_s: 1}\n")
            let waited = try await LoomProcess.run(["tools", "list", "--tools", silent.path])
            #expect(waited.status == 2 && waited.stderr.contains("MCP server 'silent' did not start within 1 s"), "\(waited.stderr)")
        }
    }
}
