import Testing

@testable import LoomWorkflow

@Suite struct InputTests {
    let workflow: Workflow

    init() throws {
        workflow = try load("""
            app: inputs
            inputs:
              ticket: {type: paragraph, required: true, max_length: 10}
              tone: {type: select, options: [warm, formal], default: warm}
              count: {type: number}
              urgent: {type: boolean, default: false}
              meta: json
            nodes:
              - {id: e, type: end, outputs: {count: "{{ inputs.count }}", urgent: "{{ inputs.urgent }}", meta: "{{ inputs.meta }}", tone: "{{ inputs.tone }}"}}
            """)
    }

    @Test func textIsConvertedToTheDeclaredTypes() throws {
        let resolved = try workflow.resolveInputs(["ticket": "hi", "count": "12", "urgent": "true", "meta": "{\"a\": [1]}"])
        #expect(resolved["count"] == 12)
        #expect(resolved["urgent"] == true)
        #expect(resolved["meta"] == ["a": [1]])
        #expect(resolved["tone"] == "warm")
    }

    @Test(arguments: [
        (["count": 1] as [String: Value], InputError.missing("ticket")),
        (["ticket": "0123456789ab"], InputError.tooLong("ticket", maxLength: 10, length: 12)),
        (["ticket": "x", "tone": "rude"], InputError.notAnOption("tone", value: "rude", options: ["warm", "formal"])),
        (["ticket": "x", "count": "many"], InputError.wrongType("count", expected: "a number", got: "string many")),
        (["ticket": "x", "urgent": "maybe"], InputError.wrongType("urgent", expected: "true or false", got: "string maybe")),
        (["ticket": "x", "extra": 1], InputError.unknown("extra", declared: ["ticket", "tone", "count", "urgent", "meta"])),
    ])
    func badInputsAreRejectedWithTheReason(given: [String: Value], expected: InputError) {
        #expect(throws: expected) { try workflow.resolveInputs(given) }
    }

    @Test func aRejectedRunDoesNotStart() async throws {
        await #expect(throws: InputError.missing("ticket")) { try await WorkflowEngine().run(workflow, inputs: [:]) }
    }

    @Test func typedValuesSurviveToTheOutputs() async throws {
        let run = try await record(workflow, inputs: ["ticket": "x", "count": 2.5, "meta": ["k": true]])
        #expect(run.result.outputs == ["count": 2.5, "urgent": false, "meta": ["k": true], "tone": "warm"])
    }
}
