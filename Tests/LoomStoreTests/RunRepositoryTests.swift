import Foundation
import LoomStore
import LoomTestSupport
import LoomWorkflow
import Testing

@Suite struct RunRepositoryTests {
    private func app(_ store: Store) async throws -> Int {
        try await store.apps.deploy(AppRepositoryTests.submission("triage", source: "a")).app.id
    }

    private func node(_ step: Int, _ id: String) -> NodeRunRecord {
        NodeRunRecord(
            id: UUID().uuidString, nodeId: id, nodeType: "template", title: id, step: step, status: "succeeded", inputs: [:],
            outputs: ["output": .string("out \(step)")], error: nil, retries: 0, elapsedMilliseconds: 0.5, totalTokens: 0, iterationId: nil,
            iterationIndex: nil, finishedAt: Date())
    }

    @Test func aRunIsWrittenWithItsNodesInOneGo() async throws {
        try await TestDatabase.withStore { store in
            let appId = try await app(store)
            var run = RunRecord(id: UUID(), appId: appId, app: "triage", version: 1, status: "succeeded", inputs: ["q": "hi"], user: "u", createdAt: Date())
            run.outputs = ["reply": "hello", "n": 2]
            run.totalSteps = 2
            run.finishedAt = Date()
            run.elapsedMilliseconds = 1.5
            try await store.runs.finish(run, nodes: [node(1, "a"), node(2, "b")])
            let found = try #require(try await store.runs.find(run.id))
            #expect(found.status == "succeeded" && found.outputs == ["reply": "hello", "n": 2] && found.inputs == ["q": "hi"])
            #expect(found.app == "triage" && found.totalSteps == 2)
            let nodes = try await store.runs.nodes(of: run.id)
            #expect(nodes.map(\.nodeId) == ["a", "b"])
            #expect(nodes[1].outputs == ["output": "out 2"])
        }
    }

    @Test func aStartedRunIsVisibleAsRunningUntilItFinishes() async throws {
        try await TestDatabase.withStore { store in
            let appId = try await app(store)
            var run = RunRecord(id: UUID(), appId: appId, app: "triage", version: 1, status: "running", inputs: [:], user: "u", createdAt: Date())
            try await store.runs.start(run)
            #expect(try await store.runs.find(run.id)?.status == "running")
            run.status = "failed"
            run.error = "boom"
            run.finishedAt = Date()
            #expect(try await store.runs.nodes(of: run.id).isEmpty)
            try await store.runs.finish(run, nodes: [node(2, "b"), node(1, "a"), node(2, "c")])
            let found = try #require(try await store.runs.find(run.id))
            #expect(found.status == "failed" && found.error == "boom" && found.finishedAt != nil)
            // In step order; within a step, as they finished.
            #expect(try await store.runs.nodes(of: run.id).map(\.nodeId) == ["a", "b", "c"])
        }
    }

    @Test func runsAreListedByAppStatusAndTime() async throws {
        try await TestDatabase.withStore { store in
            let appId = try await app(store)
            let other = try await store.apps.deploy(AppRepositoryTests.submission("other", source: "z")).app.id
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            for index in 0..<6 {
                let run = RunRecord(
                    id: UUID(), appId: index % 2 == 0 ? appId : other, app: "", version: 1, status: index < 4 ? "succeeded" : "failed", inputs: [:],
                    user: "u", createdAt: start.addingTimeInterval(Double(index)), finishedAt: start)
                try await store.runs.finish(run, nodes: [])
            }
            #expect(try await store.runs.list(RunQuery()).count == 6)
            #expect(try await store.runs.list(RunQuery(app: "triage")).count == 3)
            #expect(try await store.runs.list(RunQuery(status: "failed")).count == 2)
            #expect(try await store.runs.list(RunQuery(app: "triage", status: "failed")).count == 1)
            let recent = try await store.runs.list(RunQuery(since: start.addingTimeInterval(3)))
            #expect(recent.count == 3)
            #expect(recent.map(\.createdAt) == recent.map(\.createdAt).sorted(by: >))
            #expect(try await store.runs.list(RunQuery(limit: 2)).count == 2)
        }
    }

    @Test func runsOfAServerThatStoppedBeatingAreFailed() async throws {
        try await TestDatabase.withStore { store in
            let appId = try await app(store)
            let (alive, dead) = (UUID(), UUID())
            try await store.servers.register(alive, host: "a", pid: 1)
            try await store.servers.register(dead, host: "b", pid: 2)
            try await store.client.query("UPDATE servers SET heartbeat_at = now() - interval '1 hour' WHERE id = \(dead)")
            let mine = RunRecord(id: UUID(), appId: appId, app: "triage", version: 1, status: "running", inputs: [:], user: "u", serverId: alive, createdAt: Date())
            let orphan = RunRecord(id: UUID(), appId: appId, app: "triage", version: 1, status: "running", inputs: [:], user: "u", serverId: dead, createdAt: Date())
            try await store.runs.start(mine)
            try await store.runs.start(orphan)
            #expect(try await store.servers.failOrphanedRuns(staleAfter: .seconds(30)) == [orphan.id])
            #expect(try await store.runs.find(orphan.id)?.status == "failed")
            #expect(try await store.runs.find(orphan.id)?.error == "the server running it stopped before the run finished")
            #expect(try await store.runs.find(mine.id)?.status == "running")
        }
    }

    @Test func stopAnnouncementsReachListeners() async throws {
        try await TestDatabase.withStore { store in
            let channel = NotificationChannel(NotificationChannel.runStops, store: store)
            let wanted = UUID()
            let (heard, signal) = AsyncStream.makeStream(of: UUID.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await channel.listen { if let id = UUID(uuidString: $0) { signal.yield(id) } } }
                // Announce until the listener is subscribed and hears one.
                group.addTask {
                    while !Task.isCancelled {
                        try await channel.announce(wanted.uuidString)
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                for await id in heard {
                    #expect(id == wanted)
                    break
                }
                group.cancelAll()
            }
        }
    }

    @Test func conversationsKeepTheirMessagesInOrder() async throws {
        try await TestDatabase.withStore { store in
            let appId = try await app(store)
            let conversation = try await store.conversations.create(appId: appId, user: "ana", name: "Hello", inputs: ["tone": "warm"])
            for index in 0..<3 {
                try await store.conversations.append(MessageRecord(
                    id: UUID(), conversationId: conversation.id, runId: UUID(), query: "q\(index)", answer: "a\(index)", inputs: [:], totalTokens: 1,
                    createdAt: Date().addingTimeInterval(Double(index))))
            }
            #expect(try await store.conversations.messages(conversation.id).map(\.query) == ["q0", "q1", "q2"])
            #expect(try await store.conversations.messages(conversation.id, last: 2).map(\.query) == ["q1", "q2"])
            #expect(try await store.conversations.list(appId: appId, user: "ana", limit: 10).map(\.id) == [conversation.id])
            #expect(try await store.conversations.find(conversation.id, appId: appId + 1) == nil)
        }
    }
}
