import Testing

@testable import LoomWorkflow

@Suite struct IterationTests {
    private func workflow(mode: String, parallel: Int = 2) throws -> Workflow {
        try load("""
            app: iter
            inputs: {numbers: json}
            nodes:
              - id: each
                type: iteration
                items: inputs.numbers
                parallel: \(parallel)
                error_mode: \(mode)
                output: invert.output
                nodes:
                  - {id: invert, type: tool, tool: calculator, arguments: {expression: "60 / {{ each.item }} + {{ each.index }} * 0"}}
                next: done
              - {id: done, type: end, outputs: {values: "{{ each.output }}"}}
            """)
    }

    @Test func mapsEveryItemInOrder() async throws {
        let run = try await record(try workflow(mode: "terminated", parallel: 3), inputs: ["numbers": [1, 2, 3, 4, 5, 6]])
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["values"] == [60, 30, 20, 15, 12, 10])
        #expect(run.names.filter { $0 == "iteration_next" }.count == 6)
        #expect(run.names.contains("iteration_started") && run.names.contains("iteration_completed"))
        let innerEvents = run.events.compactMap { event -> IterationPosition? in
            if case .nodeFinished(let execution, _) = event.kind { return execution.iteration }
            return nil
        }
        #expect(Set(innerEvents.map(\.index)) == [0, 1, 2, 3, 4, 5])
    }

    @Test func terminatedModeFailsOnTheFirstBadItem() async throws {
        let run = try await record(try workflow(mode: "terminated"), inputs: ["numbers": [1, 0, 3]])
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("division by zero") == true)
    }

    @Test func continueOnErrorKeepsANullInPlace() async throws {
        let run = try await record(try workflow(mode: "continue-on-error"), inputs: ["numbers": [1, 0, 3]])
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["values"] == [60, nil, 20])
    }

    @Test func removeAbnormalOutputDropsBadItems() async throws {
        let run = try await record(try workflow(mode: "remove-abnormal-output"), inputs: ["numbers": [0, 2, 0, 4]])
        #expect(run.result.outputs["values"] == [30, 15])
    }

    @Test func tooManyItemsIsAClearError() async throws {
        let run = try await record(try workflow(mode: "terminated"), inputs: ["numbers": .array(Array(repeating: 1, count: 20))],
            limits: RunLimits(maxIterationItems: 10))
        #expect(run.result.error?.contains("20 items exceed the limit of 10") == true)
    }

    @Test func aListIsRequired() async throws {
        let run = try await record(try workflow(mode: "terminated"), inputs: ["numbers": ["a": 1]])
        #expect(run.result.error?.contains("must be a list, got object") == true)
    }
}
