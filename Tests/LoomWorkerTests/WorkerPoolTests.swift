import AsyncHTTPClient
import Foundation
import Logging
import LoomTestSupport
import LoomWorker
import Testing

/// The pool as `loom serve` runs it: real `loom worker` processes behind the router.
@Suite(.serialized) struct WorkerPoolTests {
    static func with<T: Sendable>(workers: Int, _ body: @Sendable (_ baseURL: String, _ client: HTTPClient) async throws -> T) async throws -> T {
        var configuration = WorkerPool.Configuration(executable: LoomProcess.executable.path)
        configuration.workers = workers
        configuration.port = 0
        configuration.threadsPerWorker = 1
        configuration.workerArguments = ["--registry", LoomProcess.root.appendingPathComponent("deploy/worker-models.json").path]
        let pool = WorkerPool(configuration: configuration, logger: Logger(label: "test.pool"))
        return try await ListeningService.with({ try await pool.run(onListening: $0) }) { port, client in
            let baseURL = "http://127.0.0.1:\(port)"
            try await waitUntil(timeout: .seconds(60)) { try await health(baseURL, client).filter { $0["healthy"] as? Bool == true }.count == workers }
            return try await body(baseURL, client)
        }
    }

    static func health(_ baseURL: String, _ client: HTTPClient) async throws -> [[String: Any]] {
        // Generous: beside the other model tests a worker restarting on both cores can hold up the answer (a 5 s limit
        // was missed once in CI).
        let response = try await client.execute(HTTPClientRequest(url: baseURL + "/healthz"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        return json?["workers"] as? [[String: Any]] ?? []
    }

    static func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async throws {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < timeout {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("condition not met within \(timeout)")
    }

    @Test func aRequestWhoseWorkerDiesBeforeAnsweringIsRetriedAndTheWorkerRestarted() async throws {
        try await Self.with(workers: 1) { baseURL, client in
            let pid = try await Self.health(baseURL, client).first?["pid"] as? Int ?? 0
            #expect(pid > 0)
            // Greedy counting never stops early: 120 tokens outlast the 150 ms before the kill. ("Count: one two
            // three" stopped after 24 tokens, which a faster decoder finished first.)
            let answer = Task {
                try await WorkerHarness.post(
                    client: client, baseURL + "/v1/completions", #"{"model": "smollm2-135m", "prompt": "1, 2, 3, 4, 5,", "max_tokens": 120, "temperature": 0}"#)
            }
            try await Task.sleep(for: .milliseconds(150))
            kill(Int32(pid), SIGKILL)
            let reply = try await answer.value
            #expect(reply.status == 200)
            #expect((reply.json["choices"] as? [[String: Any]])?.first?["text"] as? String != nil)
            let worker = try await Self.health(baseURL, client).first
            #expect(worker?["restarts"] as? Int == 1)
            #expect(worker?["pid"] as? Int != pid)
        }
    }

    @Test func concurrentStreamsGoToTheLeastBusyWorker() async throws {
        try await Self.with(workers: 2) { baseURL, client in
            let body = WorkerErrorTests.counting(maxTokens: 200)
            let first = try await WorkerHarness.stream(client: client, baseURL + "/v1/completions", body)
            let second = try await WorkerHarness.stream(client: client, baseURL + "/v1/completions", body)
            let outstanding = try await Self.health(baseURL, client).map { $0["outstanding"] as? Int }
            #expect(outstanding == [1, 1])
            for response in [first, second] {
                let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                #expect(text.hasSuffix("data: [DONE]\n\n"))
            }
        }
    }

    @Test func noWorkerAnswersMeans503AfterTheRetryWindow() async throws {
        var configuration = WorkerPool.Configuration(executable: "/nonexistent/loom")
        configuration.port = 0
        configuration.retryWindow = .milliseconds(500)
        let pool = WorkerPool(configuration: configuration, logger: Logger(label: "test.pool"))
        try await ListeningService.with({ try await pool.run(onListening: $0) }) { port, client in
            let reply = try await WorkerHarness.post(client: client, "http://127.0.0.1:\(port)/v1/completions", #"{"model": "smollm2-135m", "prompt": "hi"}"#)
            #expect(reply.status == 503)
            #expect(reply.errorCode == "workers_unavailable")
        }
    }
}
