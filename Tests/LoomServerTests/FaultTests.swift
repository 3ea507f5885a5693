import AsyncHTTPClient
import Foundation
import LoomStore
import LoomTestSupport
import Logging
import LoomWorkflow
import NIOCore
import Testing

/// The database going away under a running server, and a server killed in the middle of a run.
@Suite struct FaultTests {
    @Test func requestsFailCleanlyWhileTheDatabaseRestartsThenRecover() async throws {
        let cluster = try await PrivateCluster.create()
        do {
            try await ServerHarness.with(databaseURL: cluster.url, databaseTimeout: .seconds(1)) { server in
                // The one-second database timeout this test needs can be missed while the rest of the suite starts
                // up beside it: until the outage, each step is retried, not failed.
                var published: String?
                try await server.eventually(timeout: .seconds(60)) {
                    published = try? await server.publishExample("ticket-triage.yaml")
                    return published != nil
                }
                let key = try #require(published)
                let body = #"{"inputs": {"ticket": "refund"}}"#
                try await server.eventually(timeout: .seconds(60)) {
                    try await server.request(.POST, "/v1/workflows/run", token: key, body: body).status == 200
                }
                try await cluster.stop()
                // The first run after the outage began ran before it was noticed: it is kept and written later.
                let during = try await server.request(.POST, "/v1/workflows/run", token: key, body: body)
                let kept = during.body[path: ["workflow_run_id"]]?.stringValue.flatMap(UUID.init(uuidString:))
                try await server.eventually(timeout: .seconds(20)) {
                    let down = try await server.request(.POST, "/v1/workflows/run", token: key, body: body)
                    return down.status == 503 && down.body[path: ["code"]] == "database_unavailable"
                }
                let health = try await server.request(.GET, "/healthz")
                #expect(health.status == 503 && health.body[path: ["status"]] == "unavailable")
                try await cluster.start()
                try await server.eventually(timeout: .seconds(30)) {
                    try await server.request(.POST, "/v1/workflows/run", token: key, body: body).status == 200
                }
                if let kept {
                    try await server.eventually(timeout: .seconds(10)) { try await server.store.runs.find(kept)?.status == "succeeded" }
                }
                #expect(try await server.request(.GET, "/healthz").status == 200)
            }
        } catch {
            await cluster.destroy()
            throw error
        }
        await cluster.destroy()
    }

    @Test func aRunLeftByAKilledServerIsFailedByTheNextOne() async throws {
        try await TestHTTPServer.with({ _ in OpenAIStub.stream(Array(repeating: "x", count: 100), pause: .milliseconds(100)) }) { modelPort in
            let database = try await TestDatabase.create()
            let models = try LoomProcess.scratchFile("models.yaml", "default: stub\nmodels:\n  stub: {base_url: \"http://127.0.0.1:\(modelPort)/v1\"}\n")
            let port = try await TestHTTPServer.closedPort()
            let process = Process()
            process.executableURL = LoomProcess.executable
            process.arguments = ["serve", "--port", String(port), "--workers", "0"]
            process.environment = ProcessInfo.processInfo.environment.merging([
                "DATABASE_URL": database, "LOOM_ADMIN_TOKEN": ServerHarness.adminToken, "LOOM_MODELS": models.path,
                "LOOM_MIGRATIONS": TestDatabase.migrations, "LOOM_LOG_LEVEL": "error",
            ]) { _, new in new }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

            let doomed = ServerHarness(baseURL: "http://127.0.0.1:\(port)", store: try await Self.unusedStore(), client: HTTPClient(eventLoopGroupProvider: .singleton))
            try await doomed.eventually(timeout: .seconds(30)) { (try? await doomed.request(.GET, "/openapi.json").status) == 200 }
            let key = try await doomed.publish(RunControlTests.slow)
            // A streaming run is recorded as running before its first event; the client leaves, the run goes on.
            let id = try await RunControlTests.leaveEarly(doomed, key: key)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try await doomed.client.shutdown()

            // Read before any server is back: the next one may fail the run before its own first request.
            let left = try await Store.with(
                try DatabaseURL.configuration(database), logger: Logger(label: "loom.test.store"), operationTimeout: TestDatabase.operationTimeout
            ) { store in
                try await store.runs.find(id)?.status
            }
            #expect(left == "running")
            try await ServerHarness.with(databaseURL: database, configure: {
                $0.heartbeatInterval = .milliseconds(200)
                $0.staleServerAfter = .seconds(1)
            }) { next in
                try await next.eventually { try await next.store.runs.find(id)?.status == "failed" }
                #expect(try await next.store.runs.find(id)?.error == "the server running it stopped before the run finished")
            }
        }
    }

    /// `deploy/dev down` stops the platform with SIGTERM: the server, then its inference pool, shut down
    /// gracefully and the worker goes with them. Before, the pool was cancelled under the server and logged an error
    /// on every stop.
    @Test func sigtermStopsTheServerAndItsWorkerWithoutComplaint() async throws {
        let database = try await TestDatabase.create()
        let port = try await TestHTTPServer.closedPort()
        let log = try LoomProcess.scratchFile("serve.log", "")
        let process = Process()
        process.executableURL = LoomProcess.executable
        process.arguments = ["serve", "--port", String(port), "--workers", "1"]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "DATABASE_URL": database, "LOOM_ADMIN_TOKEN": ServerHarness.adminToken, "LOOM_MIGRATIONS": TestDatabase.migrations,
            "LOOM_LOG_LEVEL": "info",
        ]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let server = ServerHarness(baseURL: "http://127.0.0.1:\(port)", store: try await Self.unusedStore(), client: HTTPClient(eventLoopGroupProvider: .singleton))
        // Healthy once the worker has loaded the bundled models and answers.
        try await server.eventually(timeout: .seconds(120)) { (try? await server.request(.GET, "/healthz").status) == 200 }
        try await server.client.shutdown()
        let worker = try #require(Self.processes(withArgument: "--parent \(process.processIdentifier)").first, "no worker process found")
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "still running 30 s after SIGTERM")
        #expect(process.terminationStatus == 0)
        // Told to stop as the pool ends; it may take a moment to go.
        let gone = ContinuousClock.now + .seconds(15)
        while !Self.hasEnded(worker), ContinuousClock.now < gone { try await Task.sleep(for: .milliseconds(50)) }
        #expect(Self.hasEnded(worker), "the worker outlived the server")
        let logged = try String(contentsOf: log, encoding: .utf8)
        #expect(!logged.contains(" error ") && !logged.contains(" warning "), "\(logged)")
        // Lines keep their metadata through loom's log handler.
        #expect(logged.contains("info loom.server: port=\(port) [LoomServer] Loom is listening"), "\(logged)")
    }

    /// Gone, or a zombie waiting to be reaped.
    static func hasEnded(_ id: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(id)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    /// Process ids whose command line contains `argument`.
    static func processes(withArgument argument: String) -> [pid_t] {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        return ids.filter { id in
            guard let line = FileManager.default.contents(atPath: "/proc/\(id)/cmdline") else { return false }
            return String(decoding: line.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(argument)
        }
    }

    /// The doomed server's harness talks HTTP only.
    static func unusedStore() async throws -> Store {
        Store(client: .init(configuration: try DatabaseURL.configuration("postgres://nobody@127.0.0.1:9/none"), backgroundLogger: .init(label: "unused")), logger: .init(label: "unused"))
    }
}
