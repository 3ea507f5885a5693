import ArgumentParser
import Foundation
import Logging
import LoomConnectors
import LoomServer
import LoomStore
import LoomWorkflow
import PostgresNIO
import ServiceLifecycle

struct HTTPBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "POST /v1/workflows/run for a start→template→end app under wrk at 1, 16 and 64 connections, next to pgbench's one-row insert on the same PostgreSQL.")

    @Option(help: "Seconds per load level.") var seconds = 20
    @Option(help: "Concurrent connections, comma-separated.") var connections = "1,16,64"
    @Flag(help: "Skip the pgbench reference.") var skipReference = false

    static let app = """
        app: bench-http
        inputs: {name: {type: text, default: world}}
        nodes:
          - {id: start, type: start, next: greet}
          - {id: greet, type: template, template: "Hello {{ start.name }}", next: done}
          - {id: done, type: end, outputs: {greeting: "{{ greet.output }}"}}
        """

    func run() async throws {
        BenchBuild.warnIfDebug()
        CommandLogging.bootstrap(defaultLevel: .error)
        let levels = connections.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        try await Shell.run(["deploy/install-system-packages", "wrk"])
        let cluster = try await BenchDatabase.prepare()
        let database = try await BenchDatabase.createDatabase(on: cluster.url)
        print("PostgreSQL: \(DatabaseURL.redacted(cluster.url)) (\(cluster.started ? "a scratch cluster this benchmark started" : "DATABASE_URL"))")

        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.adminToken = Secret.generate(prefix: "bench")
        configuration.migrationsDirectory = DatabaseEnvironment.migrations("migrations")
        configuration.maxConcurrentRunsPerApp = 1024
        let adminToken = configuration.adminToken!
        let server = LoomServer(configuration: configuration, catalog: .bundled, logger: Logger(label: "loom.bench"))
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        var client = try DatabaseURL.configuration(database)
        client.options.minimumConnections = LoomServer.standingDatabaseConnections
        try await Store.with(client, logger: Logger(label: "loom.bench")) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let serving = ServiceGroup(
                    services: [LifecycleTask { try await server.run(store: store, onListening: { announce.yield($0) }, showAdminToken: { _ in }) }],
                    logger: Logger(label: "loom.bench"))
                group.addTask { try await serving.run() }
                let port = await ports.first { _ in true } ?? 0
                let base = "http://127.0.0.1:\(port)"
                let admin = AdminClient(baseURL: base, token: adminToken)
                _ = try await admin.send(.POST, "/admin/apps?publish=true&file=bench-http.yaml", body: Array(Self.app.utf8), contentType: "application/yaml")
                let key = try await admin.send(.POST, "/admin/apps/bench-http/keys", body: Array("{}".utf8))[path: ["key"]]?.text ?? ""

                var rows: [[String]] = []
                for level in levels {
                    let before = try await Self.recordedRuns(store)
                    let cpuBefore = ProcessCPU.Reading(clusterDirectory: cluster.directory)
                    let result = try await WrkRun.run(url: base + "/v1/workflows/run", key: key, connections: level, seconds: seconds)
                    let cpu = ProcessCPU.Reading(clusterDirectory: cluster.directory).used(since: cpuBefore)
                    let recorded = try await Self.recordedRuns(store) - before
                    let perRun = { (used: Double?) -> String in
                        guard let used, recorded > 0 else { return "–" }
                        return String(format: "%.0f", used / Double(recorded) * 1e6)
                    }
                    var references = ["–", "–", "–", "–"]
                    if !skipReference {
                        let insert = try await PgbenchRun.insertTPS(url: database, clients: level, seconds: seconds)
                        let share = { (tps: Double) in String(format: "%.0f (%.0f%%)", tps, result.requestsPerSecond / tps * 100) }
                        references = [share(insert), share(try await PgbenchRun.runWriteTPS(url: database, clients: level, seconds: seconds))]
                        for write in StackFloor.Write.allCases {
                            let cpuBefore = ProcessCPU.Reading(clusterDirectory: cluster.directory)
                            let floor = try await Self.floor(write, store: store, connections: level, seconds: seconds)
                            let used = ProcessCPU.Reading(clusterDirectory: cluster.directory).used(since: cpuBefore)
                            let requests = floor.requestsPerSecond * Double(seconds)
                            let cpu = used.cluster.map { String(format: ", %.0f + %.0f µs", used.own / requests * 1e6, $0 / requests * 1e6) } ?? ""
                            references.append(String(format: "%.0f (%.0f%%)%@%@", floor.requestsPerSecond, floor.requestsPerSecond / insert * 100,
                                cpu, floor.errors == 0 ? "" : ", \(floor.errors) errors"))
                        }
                    }
                    rows.append([
                        String(level), String(format: "%.0f", result.requestsPerSecond), String(format: "%.2f", result.p50Milliseconds),
                        String(format: "%.2f", result.p99Milliseconds), String(result.errors), String(recorded),
                        perRun(cpu.own), perRun(cpu.cluster),
                    ] + references)
                }
                print("POST /v1/workflows/run (blocking; start → template → end; each run recorded with its node runs), wrk -t1, \(seconds) s per level")
                print("references: pgbench -n -j1 -T\(seconds) on the same PostgreSQL at the same client count; in brackets Loom's runs/s over it")
                print("  insert tps: one INSERT of one row (no index) per transaction — the issue's ceiling")
                print("  run-write tps: Loom's own write for one run (its row, holding its 3 node runs, with its indexes) per transaction")
                print("stack floors: Hummingbird + PostgresNIO under the same wrk, a handler that writes one row of the insert table and answers,")
                print("  per request or group-committed as Loom's journal does; in brackets their requests/s over the insert tps, then the")
                print("  CPU µs per request of this process and of the cluster")
                print("CPU µs/run: user + system time of this process (the server) and of the scratch cluster's processes, over the level, ÷ runs recorded\n")
                print(TextTable.render(
                    ["connections", "runs/s", "p50 ms", "p99 ms", "errors", "recorded", "loom CPU µs/run", "postgres CPU µs/run", "insert tps (loom %)",
                     "run-write tps (loom %)"] + StackFloor.Write.allCases.map { "\($0.rawValue) (% insert)" }, rows))
                await serving.triggerGracefulShutdown()
            }
        }
        await BenchDatabase.dropDatabase(database, on: cluster.url)
        await cluster.tearDown()
    }

    /// The stack floor served on its own port for one level.
    static func floor(_ write: StackFloor.Write, store: Store, connections: Int, seconds: Int) async throws -> WrkRun {
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        let serving = ServiceGroup(
            services: [StackFloor.application(write, store: store, onListening: { announce.yield($0) })], logger: Logger(label: "loom.bench.floor"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serving.run() }
            let port = await ports.first { _ in true } ?? 0
            let result = try await WrkRun.run(url: "http://127.0.0.1:\(port)/floor", key: "", connections: connections, seconds: seconds)
            await serving.triggerGracefulShutdown()
            try await group.waitForAll()
            return result
        }
    }

    static func recordedRuns(_ store: Store) async throws -> Int {
        var count = 0
        for try await value in try await store.client.query("SELECT count(*)::int FROM runs WHERE status = 'succeeded'").decode(Int.self) { count = value }
        return count
    }
}

/// The PostgreSQL the benchmark uses: DATABASE_URL, or a scratch cluster it starts and removes.
struct BenchDatabase {
    var url: String
    var directory: String?
    var started: Bool { directory != nil }

    /// `DATABASE_URL`, or a scratch cluster; with `pgvector`, always a scratch cluster of the PostgreSQL that
    /// `deploy/pgvector` fetches.
    static func prepare(pgvector: Bool = false) async throws -> BenchDatabase {
        if !pgvector, let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return BenchDatabase(url: url) }
        let directory = ".loom/bench/postgres-\(UUID().uuidString.prefix(8))"
        if pgvector {
            let binaries = try await Shell.run(["deploy/pgvector"]).trimmingCharacters(in: .whitespacesAndNewlines)
            try await Shell.run(["env", "LOOM_POSTGRES_BIN=\(binaries)", "deploy/postgres", "init", directory])
        } else {
            try await Shell.run(["deploy/postgres", "init", directory])
        }
        let url = try await Shell.run(["deploy/postgres", "url", directory]).trimmingCharacters(in: .whitespacesAndNewlines)
        return BenchDatabase(url: url, directory: directory)
    }

    func tearDown() async {
        guard let directory else { return }
        _ = try? await Shell.run(["deploy/postgres", "stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func createDatabase(on url: String) async throws -> String {
        let name = "loom_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        _ = try await Store.with(try DatabaseURL.configuration(url), logger: Logger(label: "loom.bench")) { store in
            try await store.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        var components = URLComponents(string: url)!
        components.path = "/" + name
        return components.string!
    }

    static func dropDatabase(_ database: String, on url: String) async {
        guard let name = URLComponents(string: database)?.path.dropFirst() else { return }
        _ = try? await Store.with(try DatabaseURL.configuration(url), logger: Logger(label: "loom.bench")) { store in
            try await store.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }
}

/// wrk driving one URL; counts non-2xx answers and runs that did not succeed as errors.
struct WrkRun {
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var errors: Int

    static func run(url: String, key: String, connections: Int, seconds: Int) async throws -> WrkRun {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("loom-wrk-\(UUID().uuidString).lua").path
        try """
            wrk.method = "POST"
            wrk.body = '{"inputs": {"name": "bench"}, "response_mode": "blocking", "user": "bench"}'
            wrk.headers["Content-Type"] = "application/json"
            wrk.headers["Authorization"] = "Bearer \(key)"
            failures = 0
            response = function(status, headers, body)
              if status ~= 200 or not string.find(body, '"status":"succeeded"', 1, true) then failures = failures + 1 end
            end
            done = function(summary, latency, requests)
              local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
              io.write(string.format("LOOM %f %f %f %d\\n", summary.requests / (summary.duration / 1e6),
                latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors + failures))
            end
            """.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let output = try await Shell.run(["wrk", "-t1", "-c\(connections)", "-d\(seconds)s", "--timeout", "10s", "-s", script, url])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("LOOM ") }) else {
            throw EngineBenchError.reference("unexpected wrk output: \(output.suffix(400))")
        }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count == 4 else { throw EngineBenchError.reference("unexpected wrk summary: \(line)") }
        return WrkRun(requestsPerSecond: fields[0], p50Milliseconds: fields[1], p99Milliseconds: fields[2], errors: Int(fields[3]))
    }
}

/// pgbench on the same database: the issue's reference (a one-row INSERT per transaction) and, for comparison,
/// the write Loom makes for one run (its row, which holds its three node runs, with its indexes) per transaction.
enum PgbenchRun {
    static func insertTPS(url: String, clients: Int, seconds: Int) async throws -> Double {
        try await Shell.run([try binary("psql"), url, "-q", "-c", "CREATE TABLE IF NOT EXISTS bench_rows (id bigint, note text)"])
        return try await tps(
            script: "\\set id random(1, 2000000000)\nINSERT INTO bench_rows (id, note) VALUES (:id, 'one recorded run');\n",
            url: url, clients: clients, seconds: seconds)
    }

    static func runWriteTPS(url: String, clients: Int, seconds: Int) async throws -> Double {
        // The three node runs of the benchmark's start → template → end app, as Loom stores them.
        let outputs: [(type: String, outputs: Value)] = [("start", ["name": "bench"]), ("template", ["output": "Hello bench"]), ("end", ["greeting": "Hello bench"])]
        let nodes = outputs.enumerated().map {
            NodeRunRecord(
                id: "n\($0.offset + 1)", nodeId: "n\($0.offset + 1)", nodeType: $0.element.type, title: "n\($0.offset + 1)", step: $0.offset + 1,
                status: "succeeded", inputs: [:], outputs: $0.element.outputs, error: nil, retries: 0, elapsedMilliseconds: 0.001, totalTokens: 0,
                iterationId: nil, iterationIndex: nil, finishedAt: Date())
        }
        let script = """
            INSERT INTO runs (id, app_id, version, status, inputs, outputs, user_id, server_id, total_steps, elapsed_ms, created_at, finished_at, node_runs)
            SELECT gen_random_uuid(), (SELECT id FROM apps LIMIT 1), 1, 'succeeded', '{"name": "bench"}', '{"greeting": "Hello bench"}',
                   'bench', gen_random_uuid(), 3, 0.1, now(), now(), '\(JSONWriter.string(.array(nodes.map(\.row)), sortKeys: false))'
            ON CONFLICT (id) DO NOTHING;

            """
        return try await tps(script: script, url: url, clients: clients, seconds: seconds)
    }

    private static func tps(script: String, url: String, clients: Int, seconds: Int) async throws -> Double {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-pgbench-\(UUID().uuidString).sql").path
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let output = try await Shell.run([try binary("pgbench"), "-n", "-j1", "-c\(clients)", "-T\(seconds)", "-f", file, url], withSignals: true)
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst(6).prefix { $0 != " " })
        else {
            throw EngineBenchError.reference("unexpected pgbench output: \(output.suffix(400))")
        }
        return tps
    }

    static func binary(_ name: String) throws -> String {
        let candidates = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin/\(name)" } ?? []
        guard let found = candidates.first(where: FileManager.default.isExecutableFile) else {
            throw EngineBenchError.reference("\(name) not found; run deploy/install-system-packages")
        }
        return found
    }
}
