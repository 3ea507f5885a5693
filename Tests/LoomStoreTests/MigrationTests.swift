import Foundation
@testable import LoomStore
import LoomTestSupport
import PostgresNIO
import Testing

@Suite struct SQLStatementSplitterTests {
    @Test func splitsAtTopLevelSemicolonsOnly() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'a;b', "we;ird" int);
            /* block; /* nested; */ still comment */
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
            INSERT INTO a VALUES (E'it\\'s; fine', 1);
            SELECT $1;
            """
        let statements = SQLStatementSplitter.split(sql)
        #expect(statements.count == 4)
        #expect(statements[0] == "CREATE TABLE a (x text DEFAULT 'a;b', \"we;ird\" int)")
        #expect(statements[1].hasSuffix("$body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql"))
        #expect(statements[2] == "INSERT INTO a VALUES (E'it\\'s; fine', 1)")
        #expect(statements[3] == "SELECT $1")
    }
}

@Suite struct MigrationRunnerTests {
    private func scratch(_ files: [String: String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-migrations-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, sql) in files { try sql.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8) }
        return directory
    }

    @Test func appliesEachMigrationOnceInOrder() async throws {
        try await TestDatabase.withStore(migrated: false) { store in
            let runner = MigrationRunner(client: store.client, logger: store.logger)
            let migrations = try Migration.load(from: TestDatabase.migrations)
            #expect(try await runner.migrate(migrations) == migrations.map(\.name))
            #expect(try await runner.migrate(migrations) == [])
            var tables: [String] = []
            for try await name in try await store.client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").decode(String.self) {
                tables.append(name)
            }
            #expect(tables.contains("apps") && tables.contains("workflow_versions") && tables.contains("runs") && tables.contains("loom_migrations"))
        }
    }

    @Test func aChangedAppliedMigrationIsAnError() async throws {
        try await TestDatabase.withStore(migrated: false) { store in
            let runner = MigrationRunner(client: store.client, logger: store.logger)
            try await runner.migrate(try Migration.load(from: try scratch(["0001_a.sql": "CREATE TABLE a (x int);"])))
            let changed = try Migration.load(from: try scratch(["0001_a.sql": "CREATE TABLE a (x bigint);"]))
            await #expect(throws: StoreError.self) { try await runner.migrate(changed) }
            do {
                try await runner.migrate(changed)
            } catch {
                #expect("\(error)".contains("migration 0001_a.sql changed after it was applied"))
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehindAndNamesTheStatement() async throws {
        try await TestDatabase.withStore(migrated: false) { store in
            let runner = MigrationRunner(client: store.client, logger: store.logger)
            let broken = try Migration.load(from: try scratch(["0001_a.sql": "CREATE TABLE a (x int);\nCREATE TABLE b (y nosuchtype);"]))
            do {
                try await runner.migrate(broken)
                Issue.record("expected a failure")
            } catch {
                #expect("\(error)".contains("0001_a.sql, statement 2: type \"nosuchtype\" does not exist"), "\(error)")
            }
            var count = -1
            for try await n in try await store.client.query("SELECT count(*)::int FROM pg_tables WHERE tablename = 'a'").decode(Int.self) { count = n }
            #expect(count == 0)
        }
    }

    @Test func aDatabaseMigratedByANewerLoomIsRefused() async throws {
        try await TestDatabase.withStore(migrated: false) { store in
            let runner = MigrationRunner(client: store.client, logger: store.logger)
            try await runner.migrate(try Migration.load(from: try scratch(["0001_a.sql": "SELECT 1;", "0002_b.sql": "SELECT 2;"])))
            await #expect(throws: StoreError.migration("the database has migration 0002_b.sql, which this Loom does not have: it was migrated by a newer Loom")) {
                try await runner.migrate(try Migration.load(from: try scratch(["0001_a.sql": "SELECT 1;"])))
            }
        }
    }

    @Test func concurrentRunnersTakeTurns() async throws {
        let url = try await TestDatabase.create()
        let migrations = try Migration.load(from: TestDatabase.migrations)
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await Store.with(try DatabaseURL.configuration(url), logger: .init(label: "t")) { store in
                        try await MigrationRunner(client: store.client, logger: store.logger).migrate(migrations)
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(applied == migrations.map(\.name))
    }

    @Test func nodeRunsRecordedAsRowsMoveIntoTheirRuns() async throws {
        try await TestDatabase.withStore(migrated: false) { store in
            let runner = MigrationRunner(client: store.client, logger: store.logger)
            let migrations = try Migration.load(from: TestDatabase.migrations)
            try await runner.migrate(migrations.filter { $0.version < 11 })
            let (run, other) = (UUID(), UUID())
            try await store.client.query("INSERT INTO apps (slug, name, mode) VALUES ('old', 'Old', 'workflow')")
            for id in [run, other] {
                try await store.client.query(
                    """
                    INSERT INTO runs (id, app_id, version, status, inputs, user_id, created_at, finished_at)
                    SELECT \(id), id, 1, 'succeeded', '{}', 'u', now(), now() FROM apps
                    """)
            }
            try await store.client.query(
                """
                INSERT INTO node_runs (id, run_id, node_id, node_type, title, step, status, inputs, outputs, error, retries, elapsed_ms,
                                       total_tokens, iteration_id, iteration_index, finished_at)
                VALUES ('b', \(run), 'answer', 'llm', 'Answer', 2, 'failed', '{"q": 1}', '{}', 'timed out', 2, 1.5, 7, 'loop', 3,
                        '2026-01-02T03:04:05Z'),
                       ('a', \(run), 'start', 'start', 'Start', 1, 'succeeded', '{}', '{"q": 1}', NULL, 0, 0.25, 0, NULL, NULL, now())
                """)
            #expect(try await runner.migrate(migrations) == ["0011_node_runs_in_runs.sql"])
            let nodes = try await store.runs.nodes(of: run)
            #expect(nodes.map(\.id) == ["a", "b"])
            let answer = try #require(nodes.last)
            #expect(answer.nodeId == "answer" && answer.nodeType == "llm" && answer.title == "Answer" && answer.step == 2 && answer.status == "failed")
            #expect(answer.inputs == ["q": 1] && answer.outputs == [:] && answer.error == "timed out" && answer.retries == 2)
            #expect(answer.elapsedMilliseconds == 1.5 && answer.totalTokens == 7 && answer.iterationId == "loop" && answer.iterationIndex == 3)
            #expect(answer.finishedAt == Date(timeIntervalSince1970: 1_767_323_045))
            #expect(nodes.first?.error == nil && nodes.first?.iterationIndex == nil)
            #expect(try await store.runs.nodes(of: other).isEmpty)
        }
    }

    @Test func badFileNamesAreReported() throws {
        #expect(throws: StoreError.self) { try Migration.load(from: try scratch(["first.sql": "SELECT 1;"])) }
        #expect(throws: StoreError.self) { try Migration.load(from: try scratch(["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"])) }
    }
}
