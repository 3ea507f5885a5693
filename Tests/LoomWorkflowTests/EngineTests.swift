import Foundation
import Synchronization
import Testing

@testable import LoomWorkflow

@Suite struct EngineTests {
    @Test func independentBranchesRunConcurrentlyAndTheJoinRunsOnce() async throws {
        let workflow = try load("""
            app: par
            nodes:
              - {id: start, type: template, template: go, next: [left, right]}
              - {id: left, type: llm, prompt: "left", next: join}
              - {id: right, type: llm, prompt: "right", next: join}
              - {id: join, type: template, template: "{{ left.text }}+{{ right.text }}", next: done}
              - {id: done, type: end, outputs: {both: "{{ join.output }}"}}
            """)
        let models = ScriptedModelProvider(
            [("left", .init(chunks: ["L"], delay: .milliseconds(400))), ("right", .init(chunks: ["R"], delay: .milliseconds(400)))])
        let run = try await record(workflow, models: models)
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["both"] == "L+R")
        #expect(run.finished("join").count == 1)
        // The two calls were in flight at the same time: each started before the other ended.
        let spans = models.spans
        try #require(spans.count == 2)
        #expect(spans[0].start < spans[1].end && spans[1].start < spans[0].end)
    }

    @Test func aGraphRunsInlineOnlyWhenNoNodeCanWait() throws {
        let pure = "app: pure\nnodes:\n  - {id: a, type: template, template: hi, next: b}\n  - {id: b, type: end, outputs: {x: '{{ a.output }}'}}\n"
        #expect(try load(pure).graph.runsInline)
        #expect(try !load(pure.replacingOccurrences(of: "template: hi,", with: "template: hi, timeout_s: 1,")).graph.runsInline)
        #expect(try !load(pure.replacingOccurrences(of: "template: hi,", with: "template: hi, retry: {max: 1},")).graph.runsInline)
        #expect(try !load(pure.replacingOccurrences(of: "type: template, template: hi", with: "type: llm, prompt: hi").replacingOccurrences(of: "a.output", with: "a.text")).graph.runsInline)
    }

    @Test func executionIdsAreTheRunsIdWithTheStepInItsLastGroup() async throws {
        let workflow = try load("app: ids\nnodes:\n  - {id: a, type: template, template: hi, next: b}\n  - {id: b, type: end, outputs: {x: '{{ a.output }}'}}\n")
        var context = RunContext()
        context.runId = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
        let run = try await record(workflow, context: context)
        let ids = run.events.compactMap { event -> String? in
            if case .nodeFinished(let execution, _) = event.kind { return execution.id }
            return nil
        }
        #expect(ids == ["0a1b2c3d-4e5f-6071-8293-000000000001", "0a1b2c3d-4e5f-6071-8293-000000000002"])
        let coordinator = RunCoordinator(context: context, services: EngineServices(), limits: .default, streamRoutes: [:], conversation: nil, sink: { _ in })
        #expect(coordinator.executionId(step: 0x1_2345_6789_abcd) == "0a1b2c3d-4e5f-6071-8293-123456789abcd")
    }

    @Test func skippedBranchesPropagateAndTheJoinStillRunsOnce() async throws {
        let workflow = try load("""
            app: skip
            inputs: {n: number}
            nodes:
              - id: route
                type: if-else
                cases: [{id: big, when: {var: inputs.n, op: ">", value: 10}, then: a}]
                else: b
              - {id: a, type: template, template: big, next: a2}
              - {id: a2, type: template, template: "{{ a.output }}!", next: join}
              - {id: b, type: template, template: small, next: join}
              - {id: join, type: variable-aggregator, variables: [a2.output, b.output], next: done}
              - {id: done, type: end, outputs: {size: "{{ join.output }}", case: "{{ route.selected_case }}"}}
            """)
        let small = try await record(workflow, inputs: ["n": 3])
        #expect(small.result.outputs == ["size": "small", "case": "else"])
        #expect(small.finished("a").isEmpty && small.finished("a2").isEmpty)
        #expect(small.finished("join").count == 1)
        let big = try await record(workflow, inputs: ["n": "42"])
        #expect(big.result.outputs == ["size": "big!", "case": "big"])
    }

    @Test func retriesEmitEventsAndThenSucceed() async throws {
        let workflow = try load("""
            app: retry
            nodes:
              - {id: ask, type: llm, prompt: flaky, retry: {max: 3, interval_ms: 10}, next: done}
              - {id: done, type: end, outputs: {text: "{{ ask.text }}"}}
            """)
        let run = try await record(workflow, models: ScriptedModelProvider([("flaky", .init(chunks: ["fine"], failures: 2))]))
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["text"] == "fine")
        #expect(run.names.filter { $0 == "node_retry" }.count == 2)
        #expect(run.finished("ask").first?.retries == 2)
    }

    @Test func anUnhandledFailureFailsTheRunNamingTheNode() async throws {
        let workflow = try load("app: fail\nnodes:\n  - {id: ask, type: llm, prompt: flaky, retry: {max: 1, interval_ms: 1}}\n")
        let run = try await record(workflow, models: ScriptedModelProvider([("flaky", .init(chunks: ["x"], failures: 9))]))
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("node 'ask' (llm) failed") == true)
        #expect(run.names.last == "workflow_finished")
    }

    @Test func aSlowNodeTimesOut() async throws {
        let workflow = try load("app: slow\nnodes:\n  - {id: ask, type: llm, prompt: slow, timeout_s: 0.1}\n")
        let started = ContinuousClock.now
        let run = try await record(workflow, models: ScriptedModelProvider([("slow", .init(chunks: ["x"], delay: .seconds(600)))]))
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("timed out after 0.1 s") == true)
        // Far below the 600 s the model would take, with room for a test machine busy starting every other suite.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func defaultValueStrategyContinuesAsPartialSuccess() async throws {
        let workflow = try load("""
            app: fallback
            nodes:
              - {id: ask, type: llm, prompt: down, on_error: {default: {text: "sorry"}}, next: done}
              - {id: done, type: end, outputs: {text: "{{ ask.text }}", why: "{{ ask.error_type }}"}}
            """)
        let run = try await record(workflow, models: ScriptedModelProvider([("down", .init(chunks: [], failures: 1))]))
        #expect(run.result.status == .partialSucceeded)
        #expect(run.result.outputs == ["text": "sorry", "why": "model_error"])
        #expect(run.finished("ask").first?.status == .exception)
    }

    @Test func failBranchStrategyTakesOnlyTheFailBranch() async throws {
        let workflow = try load("""
            app: branch
            nodes:
              - {id: ask, type: llm, prompt: down, on_error: {branch: apologise}, next: happy}
              - {id: happy, type: end, outputs: {path: happy}}
              - {id: apologise, type: end, outputs: {path: sad, error: "{{ ask.error_message }}"}}
            """)
        let run = try await record(workflow, models: ScriptedModelProvider([("down", .init(chunks: [], failures: 1))]))
        #expect(run.result.outputs["path"] == "sad")
        #expect(run.result.outputs["error"]?.text.contains("scripted failure") == true)
        #expect(run.finished("happy").isEmpty)
    }

    @Test func theStepLimitStopsARun() async throws {
        let workflow = try load("""
            app: steps
            limits: {max_steps: 3}
            nodes:
              - {id: a, type: template, template: a, next: b}
              - {id: b, type: template, template: b, next: c}
              - {id: c, type: template, template: c, next: d}
              - {id: d, type: template, template: d}
            """)
        let run = try await record(workflow)
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("exceeded 3 node executions") == true)
        #expect(run.finished("d").isEmpty)
    }

    @Test func theRunTimeLimitStopsARun() async throws {
        let workflow = try load("app: wall\nlimits: {max_seconds: 0.2}\nnodes:\n  - {id: ask, type: llm, prompt: slow}\n")
        let started = ContinuousClock.now
        let run = try await record(workflow, models: ScriptedModelProvider([("slow", .init(chunks: ["x"], delay: .seconds(600)))]))
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("time limit of 0.2 s") == true)
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func cancellingTheRunStopsItsNodes() async throws {
        let workflow = try load("app: stop\nnodes:\n  - {id: ask, type: llm, prompt: slow, next: after}\n  - {id: after, type: template, template: x}\n")
        let models = ScriptedModelProvider([("slow", .init(chunks: ["a", "b"], delay: .seconds(600)))])
        let (started, signal) = AsyncStream.makeStream(of: Void.self)
        let events = Mutex<[RunEvent]>([])
        let task = Task {
            try await WorkflowEngine(services: EngineServices(models: models)).run(workflow, inputs: [:]) { event in
                events.withLock { $0.append(event) }
                if case .nodeStarted = event.kind { signal.yield() }
            }
        }
        for await _ in started { break }
        let cancelled = ContinuousClock.now
        task.cancel()
        let result = try await task.value
        #expect(result.status == .stopped)
        #expect(ContinuousClock.now - cancelled < .seconds(60))
        let run = RecordedRun(result: result, events: events.withLock { $0 })
        #expect(run.finished("ask").first?.status == .stopped)
        #expect(run.finished("after").isEmpty)
    }

    @Test func anAnswerStreamsItsLLMTokensInOrder() async throws {
        let workflow = try load("""
            app: stream
            mode: chat
            nodes:
              - {id: draft, type: llm, prompt: hello, next: reply}
              - {id: reply, type: answer, answer: "Reply: {{ draft.text }} (bye)"}
            """)
        let run = try await record(workflow, models: ScriptedModelProvider([("hello", .init(chunks: ["Hel", "lo", "!"]))]))
        #expect(run.textChunks == ["Reply: ", "Hel", "lo", "!", " (bye)"])
        #expect(run.result.outputs["answer"] == "Reply: Hello! (bye)")
        // The tokens arrive before the llm node finishes, not after.
        let firstChunk = run.names.firstIndex(of: "text_chunk")!
        let draftFinished = run.events.firstIndex { if case .nodeFinished(let execution, _) = $0.kind { return execution.nodeId == "draft" }; return false }!
        #expect(firstChunk < draftFinished)
    }

    @Test func hiddenLLMOutputIsNotStreamed() async throws {
        let workflow = try load("""
            app: hidden
            nodes:
              - {id: draft, type: llm, prompt: hello, next: shout}
              - {id: shout, type: template, template: "{{ draft.text }}!", next: reply}
              - {id: reply, type: answer, answer: "{{ shout.output }}"}
            """)
        let run = try await record(workflow, models: ScriptedModelProvider([("hello", .init(chunks: ["a", "b"]))]))
        #expect(run.textChunks == ["ab!"])
    }

    @Test func eventsAreOrderedAndNamedAsDifyNamesThem() async throws {
        let run = try await record(try load("app: ev\nnodes:\n  - {id: a, type: template, template: x, next: b}\n  - {id: b, type: answer, answer: \"{{ a.output }}\"}\n"))
        #expect(run.names == ["workflow_started", "node_started", "node_finished", "node_started", "text_chunk", "node_finished", "workflow_finished"])
        #expect(Set(run.events.map(\.runId)) == [run.result.runId])
        let envelope = run.events[2].envelope
        #expect(envelope[path: ["event"]] == "node_finished")
        #expect(envelope[path: ["data", "node_id"]] == "a")
        #expect(envelope[path: ["data", "outputs", "output"]] == "x")
    }

    @Test func anOversizedOutputFailsTheNode() async throws {
        let workflow = try load("app: big\ninputs: {blob: paragraph}\nlimits: {max_variable_kb: 1}\nnodes:\n  - {id: a, type: template, template: \"{{ inputs.blob }}{{ inputs.blob }}\"}\n")
        let run = try await record(workflow, inputs: ["blob": .string(String(repeating: "x", count: 800))])
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("over the 1 KB limit") == true)
    }

    @Test func httpNodesRefuseLoopbackBeforeConnecting() async throws {
        let workflow = try load("app: ssrf\nnodes:\n  - {id: get, type: http-request, url: \"http://127.0.0.1:9/admin\"}\n")
        let fetcher = RefusingFetcher()
        let run = try await record(workflow, http: fetcher)
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("refusing to connect to 127.0.0.1: loopback addresses are blocked") == true)
        #expect(fetcher.calls.load(ordering: .relaxed) == 0)
    }
}

/// Fails the test if called: the node must refuse before reaching the network.
final class RefusingFetcher: HTTPFetcher {
    let calls = Atomic<Int>(0)
    func fetch(_ request: HTTPRequestSpec) async throws(HTTPFetchError) -> HTTPResponseData {
        calls.wrappingAdd(1, ordering: .relaxed)
        throw HTTPFetchError.unreachable(url: request.url, reason: "this fetcher must not be called")
    }
}
