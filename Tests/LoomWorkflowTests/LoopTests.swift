import Testing

@testable import LoomWorkflow

@Suite struct LoopTests {
    /// Doubles `n` until it reaches the target, counting rounds in a loop variable.
    private func doubling(maxRounds: Int = 10, breakNode: Bool = false) throws -> Workflow {
        try load("""
            app: loops
            inputs: {start: number, target: number}
            nodes:
              - id: grow
                type: loop
                max_rounds: \(maxRounds)
                variables:
                  n: {type: number, value: "{{ inputs.start }}"}
                  seen: array[number]
                break_when: {var: grow.n, op: ">=", value: "{{ inputs.target }}"}
                nodes:
                  - id: double
                    type: tool
                    tool: calculator
                    arguments: {expression: "{{ grow.n }} * 2"}
                    next: keep
                  - id: keep
                    type: assigner
                    assign:
                      - {variable: grow.n, value: "{{ double.output }}"}
                      - {variable: grow.seen, operation: append, value: "{{ grow.index }}"}
            \(breakNode ? "        next: stop\n      - {id: stop, type: break}" : "")
                next: done
              - {id: done, type: end, outputs: {n: "{{ grow.n }}", rounds: "{{ grow.loop_round }}", seen: "{{ grow.seen }}"}}
            """)
    }

    @Test func runsRoundsUntilTheBreakConditionHolds() async throws {
        let run = try await record(try doubling(), inputs: ["start": 3, "target": 20])
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["n"] == 24)
        #expect(run.result.outputs["rounds"] == 3)
        #expect(run.result.outputs["seen"] == [0, 1, 2])
        #expect(run.names.filter { $0 == "loop_next" }.count == 3)
        #expect(run.names.contains("loop_started") && run.names.contains("loop_completed"))
        let rounds = run.events.compactMap { event -> Int? in
            if case .nodeFinished(let execution, _) = event.kind, execution.nodeId == "double" { return execution.iteration?.index }
            return nil
        }
        #expect(rounds == [0, 1, 2])
    }

    @Test func aConditionThatHoldsAtTheStartRunsNoRound() async throws {
        let run = try await record(try doubling(), inputs: ["start": 50, "target": 20])
        #expect(run.result.outputs["n"] == 50)
        #expect(run.result.outputs["rounds"] == 0)
    }

    @Test func maxRoundsEndsALoopWhoseConditionNeverHolds() async throws {
        let run = try await record(try doubling(maxRounds: 4), inputs: ["start": 1, "target": 1_000_000])
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["n"] == 16)
        #expect(run.result.outputs["rounds"] == 4)
    }

    @Test func aBreakNodeEndsTheLoopAfterItsRound() async throws {
        let run = try await record(try doubling(breakNode: true), inputs: ["start": 1, "target": 1_000_000])
        #expect(run.result.outputs["n"] == 2)
        #expect(run.result.outputs["rounds"] == 1)
    }

    @Test func aFailedRoundFailsTheLoopWithItsRound() async throws {
        let workflow = try load("""
            app: loops
            nodes:
              - id: count
                type: loop
                max_rounds: 5
                variables: {i: number}
                nodes:
                  - {id: inverse, type: tool, tool: calculator, arguments: {expression: "1 / (2 - {{ count.i }})"}, next: step}
                  - {id: step, type: assigner, assign: [{variable: count.i, operation: "+=", value: 1}]}
            """)
        let run = try await record(workflow)
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("round 2") == true)
        #expect(run.result.error?.contains("division by zero") == true)
    }

    @Test func loadErrorsNameTheProblem() {
        let unknownVariable = problems("""
            app: loops
            nodes:
              - id: l
                type: loop
                variables: {i: number}
                break_when: {var: l.j, op: ">", value: 1}
                nodes:
                  - {id: b, type: break}
            """)
        #expect(unknownVariable.first?.message.contains("loop 'l' has no variable 'j'") == true)

        let unknownWrite = problems("""
            app: loops
            nodes:
              - id: l
                type: loop
                variables: {i: number}
                nodes:
                  - {id: a, type: assigner, assign: [{variable: l.k, value: 1}]}
            """)
        #expect(unknownWrite.first?.message.contains("'l' has no variable 'k' an assigner may write (it has: i)") == true)

        let breakOutside = problems("""
            app: loops
            nodes:
              - {id: stop, type: break}
            """)
        #expect(breakOutside.first?.message.contains("must be directly inside a loop") == true)

        let writeAnOutput = problems("""
            app: loops
            inputs: {x: text}
            nodes:
              - {id: t, type: template, template: "{{ inputs.x }}", next: a}
              - {id: a, type: assigner, assign: [{variable: t.output, value: 1}]}
            """)
        #expect(writeAnOutput.first?.message.contains("an assigner writes only conversation variables") == true)

        let badRounds = problems("""
            app: loops
            nodes:
              - {id: l, type: loop, max_rounds: 1000, nodes: [{id: b, type: break}]}
            """)
        #expect(!badRounds.isEmpty)
    }
}

@Suite struct AssignerTests {
    private func chat(_ assign: String, variables: String) throws -> Workflow {
        try load("""
            app: memo
            mode: chat
            conversation_variables:
            \(variables)
            nodes:
              - id: write
                type: assigner
                assign:
            \(assign)
                next: done
              - {id: done, type: answer, answer: "ok"}
            """)
    }

    @Test func everyOperationChangesTheVariableAsDifyDoes() async throws {
        let workflow = try chat("""
                  - {variable: conversation.topics, operation: append, value: "{{ sys.query }}"}
                  - {variable: conversation.topics, operation: extend, value: [x, y]}
                  - {variable: conversation.topics, operation: remove-first}
                  - {variable: conversation.count, operation: "+=", value: 5}
                  - {variable: conversation.count, operation: "*=", value: "3"}
                  - {variable: conversation.count, operation: "-=", value: 1}
                  - {variable: conversation.ratio, operation: "/=", value: 4}
                  - {variable: conversation.name, value: "{{ sys.user }}"}
                  - {variable: conversation.profile, operation: set, value: {plan: pro}}
                  - {variable: conversation.note, operation: clear}
            """,
            variables: """
              topics: {type: "array[string]", default: [a]}
              count: {type: number, default: 1}
              ratio: {type: number, default: 10}
              name: string
              profile: object
              note: {type: string, default: draft}
            """)
        let run = try await record(workflow, context: RunContext(user: "ada", query: "hello"))
        #expect(run.result.status == .succeeded)
        let values = try #require(run.result.conversationVariables)
        #expect(values["topics"] == ["hello", "x", "y"])
        #expect(values["count"] == 17)
        #expect(values["ratio"] == 2.5)
        #expect(values["name"] == "ada")
        #expect(values["profile"] == ["plan": "pro"])
        #expect(values["note"] == "")
    }

    @Test func aTurnStartsFromWhatTheLastTurnStored() async throws {
        let workflow = try chat(
            "      - {variable: conversation.turns, operation: \"+=\", value: 1}",
            variables: "  turns: {type: number, default: 0}\n  stale: {type: number, default: 7}")
        let first = try await record(workflow)
        #expect(first.result.conversationVariables?["turns"] == 1)
        // A stored value that no longer fits its declared type starts over from the default.
        let second = try await record(workflow, context: RunContext(conversationVariables: ["turns": 1, "stale": "text"]))
        #expect(second.result.conversationVariables == ["turns": 2, "stale": 7])
    }

    @Test func laterNodesReadTheWrittenValue() async throws {
        let workflow = try load("""
            app: memo
            mode: chat
            conversation_variables: {last: string}
            nodes:
              - {id: write, type: assigner, assign: [{variable: conversation.last, value: "{{ sys.query }}!"}], next: read}
              - {id: read, type: answer, answer: "you said {{ conversation.last }}"}
            """)
        let run = try await record(workflow, context: RunContext(query: "hi"))
        #expect(run.result.outputs["answer"] == "you said hi!")
    }

    @Test func aValueOfTheWrongTypeFailsTheNodeAndWritesNothing() async throws {
        let workflow = try chat(
            "      - {variable: conversation.count, operation: \"+=\", value: 1}\n      - {variable: conversation.count, value: not a number}",
            variables: "  count: {type: number, default: 1}")
        let run = try await record(workflow)
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("'conversation.count' is declared number: expected a number, got string") == true)
        #expect(run.result.conversationVariables == ["count": 1])
    }

    @Test func wrongDeclarationsAreLoadErrors() {
        let undeclared = problems("""
            app: memo
            mode: chat
            conversation_variables: {a: string}
            nodes:
              - {id: w, type: assigner, assign: [{variable: conversation.b, value: x}]}
            """)
        #expect(undeclared.first?.message.contains("declares no conversation variable 'b' (declared: a)") == true)

        let workflowMode = problems("""
            app: memo
            conversation_variables: {a: string}
            nodes:
              - {id: s, type: start}
            """)
        #expect(workflowMode.first?.message.contains("need 'mode: chat'") == true)

        let badDefault = problems("""
            app: memo
            mode: chat
            conversation_variables: {a: {type: number, default: many}}
            nodes:
              - {id: s, type: start}
            """)
        #expect(badDefault.first?.message.contains("does not fit its type number") == true)

        let noValue = problems("""
            app: memo
            mode: chat
            conversation_variables: {a: string}
            nodes:
              - {id: w, type: assigner, assign: [{variable: conversation.a, operation: append}]}
            """)
        #expect(noValue.first?.message.contains("operation 'append' needs a 'value'") == true)
    }
}

@Suite struct ListOperatorTests {
    private func run(_ settings: String, list: Value) async throws -> [String: Value] {
        let workflow = try load("""
            app: lists
            inputs: {items: json}
            nodes:
              - id: pick
                type: list-operator
                list: inputs.items
            \(settings)
                next: done
              - {id: done, type: end, outputs: {result: "{{ pick.result }}", first: "{{ pick.first_record }}", last: "{{ pick.last_record }}"}}
            """)
        let recorded = try await record(workflow, inputs: ["items": list])
        #expect(recorded.result.status == .succeeded, "\(recorded.result.error ?? "")")
        return recorded.result.outputs
    }

    @Test func filtersThenSortsThenLimits() async throws {
        let outputs = try await run("""
                filter: [{op: contains, value: a}, {op: not contains, value: z}]
                order: desc
                limit: 2
            """, list: ["banana", "apple", "cherry", "avocado", "pizza"])
        #expect(outputs["result"] == ["banana", "avocado"])
        #expect(outputs["first"] == "banana")
        #expect(outputs["last"] == "avocado")
    }

    @Test func objectsAreComparedAndSortedByKey() async throws {
        let items: Value = [["name": "a", "score": 0.4], ["name": "b", "score": 0.9], ["name": "c", "score": 0.7]]
        let outputs = try await run("""
                filter: [{key: score, op: ">", value: "0.5"}]
                order: {key: score, direction: asc}
            """, list: items)
        #expect(outputs["result"] == [["name": "c", "score": 0.7], ["name": "b", "score": 0.9]])
    }

    @Test func extractKeepsOneItemByPosition() async throws {
        let outputs = try await run("    extract: 2", list: [10, 20, 30])
        #expect(outputs["result"] == [20])
        #expect(outputs["first"] == 20)
    }

    @Test func anEmptyResultHasNullRecords() async throws {
        let outputs = try await run("    filter: [{op: \">\", value: 100}]", list: [1, 2])
        #expect(outputs["result"] == [])
        #expect(outputs["first"] == nil || outputs["first"] == .null)
    }

    @Test func anExtractPastTheEndFailsClearly() async throws {
        let workflow = try load("""
            app: lists
            inputs: {items: json}
            nodes:
              - {id: pick, type: list-operator, list: inputs.items, extract: 5}
            """)
        let run = try await record(workflow, inputs: ["items": [1, 2]])
        #expect(run.result.error?.contains("'extract' asks for item 5 of a list of 2") == true)
    }

    @Test func badSettingsAreLoadErrorsWithTheReason() {
        let node = { (settings: String) in problems("app: lists\ninputs: {items: json}\nnodes:\n  - {id: pick, type: list-operator, list: inputs.items, \(settings)}\n") }
        #expect(node("filter: [{op: resembles, value: a}]").first?.message.contains("unknown operator 'resembles'") == true)
        #expect(node("filter: [{op: empty, value: a}]").first?.message.contains("operator 'empty' takes no 'value'") == true)
        #expect(node("filter: [{op: contains}]").first?.message.contains("operator 'contains' needs a 'value'") == true)
        #expect(node("order: sideways").first?.message.contains("'order' must be asc, desc or {key, direction: asc|desc}") == true)
        #expect(node("limit: 0").isEmpty == false)
        #expect(problems("app: x\nnodes:\n  - {id: read, type: document-extractor}\n").first?.message.contains("file") == true)
    }
}
