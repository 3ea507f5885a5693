import Foundation
import LoomConnectors
import LoomServer
import LoomTestSupport
import LoomWorkflow
import Testing

/// `output_schema` on llm nodes and the parameter extractor, through the server to a real worker: the bundled model's
/// replies always have the schema's shape.
@Suite(.serialized) struct StructuredOutputTests {
    static let app = """
        app: triage-json
        inputs: {ticket: paragraph}
        nodes:
          - id: read
            type: llm
            model: smollm2-135m
            prompt: "Ticket: {{ inputs.ticket }}"
            max_tokens: 60
            output_schema:
              type: object
              properties:
                category: {enum: [billing, bug, other]}
                urgent: {type: boolean}
              required: [category, urgent]
            next: extract
          - id: extract
            type: parameter-extractor
            model: smollm2-135m
            query: "{{ inputs.ticket }}"
            max_tokens: 60
            parameters:
              - {name: order_id, type: string, description: "The order number"}
              - {name: amount, type: number, description: "The amount charged", required: true}
            next: done
          - id: done
            type: end
            outputs:
              category: "{{ read.structured.category }}"
              urgent: "{{ read.structured.urgent }}"
              amount: "{{ extract.amount }}"
              extracted: "{{ extract.__is_success }}"
        """

    @Test(arguments: ["I was charged 19.90 twice for order A-1042!", "The export button does nothing.", "hi"])
    func theBundledModelAlwaysAnswersInTheSchemasShape(ticket: String) async throws {
        try await TestWorker.with { baseURL, _, _ in
            let catalog = ModelCatalog(
                endpoints: ["smollm2-135m": ModelEndpoint(name: "smollm2-135m", baseURL: baseURL + "/v1", model: "smollm2-135m")], defaultName: "smollm2-135m")
            try await ServerHarness.with(catalog: catalog) { server in
                let key = try await server.publish(Self.app)
                let run = try await server.request(
                    .POST, "/v1/workflows/run", token: key, body: JSONWriter.string(["inputs": ["ticket": .string(ticket)], "response_mode": "blocking"]))
                #expect(run.status == 200, "\(run.text)")
                let outputs = run.body[path: ["data", "outputs"]]
                #expect(["billing", "bug", "other"].contains(outputs?[path: ["category"]]?.stringValue ?? ""), "\(run.text)")
                #expect(outputs?[path: ["urgent"]]?.boolValue != nil, "\(run.text)")
                #expect(outputs?[path: ["amount"]]?.typeName == "number", "\(run.text)")
                #expect(outputs?[path: ["extracted"]] == 1, "\(run.text)")
            }
        }
    }
}
