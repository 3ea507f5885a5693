import Testing

@testable import LoomWorkflow

@Suite struct StructuredOutputNodeTests {
    static let schema = "{type: object, properties: {city: {type: string}, people: {type: integer}}, required: [city, people]}"

    private func workflow() throws -> Workflow {
        try load("""
            app: json
            nodes:
              - {id: ask, type: llm, system: "Be brief.", prompt: "Biggest city?", output_schema: \(Self.schema), next: done}
              - {id: done, type: end, outputs: {city: "{{ ask.structured.city }}", whole: "{{ ask.structured }}"}}
            """)
    }

    @Test func theSchemaGoesToTheModelAndTheParsedReplyIsOutputStructured() async throws {
        let models = ScriptedModelProvider([("Biggest city?", .init(chunks: [#"{"city":"Tokyo","#, #""people":37}"#]))])
        let run = try await record(try workflow(), models: models)
        #expect(run.result.outputs["city"] == "Tokyo")
        #expect(run.result.outputs["whole"] == ["city": "Tokyo", "people": 37])
        let request = try #require(models.requests.first)
        #expect(request.outputSchema?[path: ["required"]] == ["city", "people"])
        #expect(request.messages.first?.content.hasPrefix("Be brief.\n\nReply with only a JSON value that satisfies this JSON Schema:") == true)
    }

    @Test func aReplyThatIsNotJSONFailsTheNodeClearly() async throws {
        let models = ScriptedModelProvider([("Biggest city?", .init(chunks: ["Tokyo, probably."]))])
        let run = try await record(try workflow(), models: models)
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("the model's reply is not the JSON output_schema asks for") == true)
    }

    @Test func outputSchemaMustBeASchemaAndStructuredExistsOnlyWithIt() {
        #expect(problems("app: x\nnodes:\n  - {id: a, type: llm, prompt: p, output_schema: object}\n").first?.message.contains("'output_schema' must be a JSON Schema") == true)
        let reads = problems("app: x\nnodes:\n  - {id: a, type: llm, prompt: p, next: b}\n  - {id: b, type: end, outputs: {x: \"{{ a.structured }}\"}}\n")
        #expect(reads.first?.message.contains("has no output 'structured'") == true)
    }

    @Test func theParameterExtractorAsksForEveryParameterOptionalOnesNullable() async throws {
        let workflow = try load("""
            app: x
            nodes:
              - id: pull
                type: parameter-extractor
                query: "order A-7, 12 EUR"
                parameters:
                  - {name: order, type: string, description: "the order", required: true}
                  - {name: amount, type: number, description: "the amount"}
            """)
        let models = ScriptedModelProvider([("order A-7", .init(chunks: [#"{"order":"A-7","amount":12}"#]))])
        let run = try await record(workflow, models: models)
        #expect(run.finished("pull").first?.outputs["amount"] == 12)
        let schema = try #require(models.requests.first?.outputSchema)
        #expect(schema[path: ["required"]] == ["order", "amount"])
        #expect(schema[path: ["properties", "amount", "type"]] == ["number", "null"])
        #expect(schema[path: ["properties", "order", "type"]] == "string")
    }
}
