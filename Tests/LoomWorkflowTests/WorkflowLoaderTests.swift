import Testing

@testable import LoomWorkflow

@Suite struct WorkflowLoaderTests {
    private func only(_ text: String, file: String = "test.yaml") -> Diagnostic? {
        let found = problems(text, file: file)
        #expect(found.count == 1, "\(found)")
        return found.first
    }

    @Test func malformedYAMLNamesFileLineAndColumn() {
        let diagnostic = only("app: x\nnodes:\n  - id: a\n    type: template\n    template: \"unclosed\n")
        #expect(diagnostic?.file == "test.yaml")
        #expect(diagnostic?.location.line == 6 || diagnostic?.location.line == 5)
    }

    @Test func malformedJSONNamesFileLineAndColumn() {
        let diagnostic = only("{\n  \"app\": \"x\",\n  \"nodes\": [\n    {\"id\": \"a\" \"type\": \"end\"}\n  ]\n}", file: "flow.json")
        #expect(diagnostic?.description == "flow.json:4:16: expected ',' or '}', found '\"'")
    }

    @Test func jsonWithTheSameStructureLoads() throws {
        let workflow = try load(#"{"app": "j", "inputs": {"q": "text"}, "nodes": [{"id": "t", "type": "template", "template": "{{ inputs.q }}", "next": "e"}, {"id": "e", "type": "end", "outputs": {"r": "{{ t.output }}"}}]}"#, file: "j.json")
        #expect(workflow.graph.nodes.map(\.id) == ["t", "e"])
        #expect(workflow.graph.edges.count == 1)
    }

    @Test func unknownNodeTypeIsNamedWithItsNode() {
        let diagnostic = only("app: x\nnodes:\n  - id: first\n    type: templat\n    template: hi\n")
        #expect(diagnostic?.nodeId == "first")
        #expect(diagnostic?.location == SourceLocation(line: 4, column: 11))
        #expect(diagnostic?.message.contains("unknown node type 'templat'") == true)
    }

    @Test func unknownKeyIsAnError() {
        let diagnostic = only("app: x\nnodes:\n  - id: t\n    type: template\n    template: hi\n    tempalte: typo\n")
        #expect(diagnostic?.location == SourceLocation(line: 6, column: 5))
        #expect(diagnostic?.message.contains("unknown key 'tempalte'") == true)
    }

    @Test func duplicateIdIsAnError() {
        let diagnostic = only("app: x\nnodes:\n  - {id: a, type: template, template: hi}\n  - {id: a, type: template, template: ho}\n")
        #expect(diagnostic?.message.contains("duplicate node id 'a' (first defined at line 3)") == true)
        #expect(diagnostic?.location.line == 4)
    }

    @Test func edgeToMissingNodeIsAnError() {
        let diagnostic = only("app: x\nnodes:\n  - {id: a, type: template, template: hi, next: nowhere}\n")
        #expect(diagnostic?.message.contains("edge to 'nowhere', which is not a node") == true)
        #expect(diagnostic?.nodeId == "a")
    }

    @Test func cycleIsAnError() {
        let diagnostic = only("app: x\nnodes:\n  - {id: s, type: template, template: go, next: a}\n  - {id: a, type: template, template: hi, next: b}\n  - {id: b, type: template, template: ho, next: a}\n")
        #expect(diagnostic?.message.contains("cycle: a → b → a") == true)
    }

    @Test func readingAnUnknownNodeIsAnError() {
        let diagnostic = only("app: x\nnodes:\n  - {id: a, type: template, template: \"{{ ghost.output }}\"}\n")
        #expect(diagnostic?.message.contains("no node, input or namespace named 'ghost'") == true)
    }

    @Test func readingANodeThatCannotHaveRunYetIsAnError() {
        let yaml = """
            app: x
            nodes:
              - {id: a, type: template, template: "{{ b.output }}"}
              - {id: b, type: template, template: hi}
            """
        let diagnostic = only(yaml)
        #expect(diagnostic?.nodeId == "a")
        #expect(diagnostic?.message.contains("'b' is not upstream of this node") == true)
    }

    @Test func readingAMissingOutputIsAnError() {
        let diagnostic = only("app: x\nnodes:\n  - {id: a, type: template, template: hi, next: b}\n  - {id: b, type: template, template: \"{{ a.text }}\"}\n")
        #expect(diagnostic?.message.contains("has no output 'text' (it has: output)") == true)
    }

    @Test func readingAnUndeclaredInputIsAnError() {
        let diagnostic = only("app: x\ninputs: {q: text}\nnodes:\n  - {id: a, type: template, template: \"{{ inputs.qq }}\"}\n")
        #expect(diagnostic?.message.contains("no input 'qq' (declared: q)") == true)
    }

    @Test func templateSyntaxErrorIsAnError() {
        let diagnostic = only("app: x\nnodes:\n  - id: a\n    type: template\n    template: \"{{#open}} never closed\"\n")
        #expect(diagnostic?.location == SourceLocation(line: 5, column: 15))
        #expect(diagnostic?.message.contains("never closed") == true)
    }

    @Test func unknownModelIsAnErrorWhenModelsAreKnown() {
        let diagnostic = only("app: x\nnodes:\n  - {id: a, type: llm, model: gpt-9, prompt: hi}\n")
        #expect(diagnostic?.message.contains("unknown model 'gpt-9'") == true)
    }

    @Test func wrongHandleOnAnIfElseIsAnError() {
        let yaml = """
            app: x
            inputs: {q: text}
            nodes:
              - id: r
                type: if-else
                cases: [{id: yes_case, when: {var: inputs.q, op: empty}}]
                next: t
              - {id: t, type: template, template: hi}
            """
        #expect(only(yaml)?.message.contains("if-else node 'r' has no 'source' handle") == true)
    }

    @Test func aConditionKeyThatNamesNothingIsAnError() {
        let yaml = """
            app: x
            nodes:
              - id: r
                type: if-else
                cases: [{id: pictures, when: {var: sys.files, key: "", op: in, value: [image]}, then: t}]
                else: t
              - {id: t, type: template, template: hi}
            """
        let diagnostic = only(yaml)
        #expect(diagnostic?.message.contains("'key' must name a field of the list's items") == true, "\(String(describing: diagnostic))")
        #expect(diagnostic?.location.line == 5 && diagnostic?.nodeId == "r")
    }

    @Test func limitsOutOfRangeAreErrors() {
        let diagnostic = only("app: x\nnodes:\n  - {id: a, type: llm, prompt: hi, temperature: 7}\n")
        #expect(diagnostic?.message.contains("between 0 and 2") == true)
        let penalty = only("app: x\nnodes:\n  - {id: a, type: llm, prompt: hi, repetition_penalty: 0}\n")
        #expect(penalty?.message.contains("'repetition_penalty' must be between 0.01 and 10") == true, "\(String(describing: penalty))")
    }

    @Test func everyProblemIsReportedInOnePass() {
        let yaml = """
            app: Bad App
            nodes:
              - {id: a, type: nope}
              - {id: b, type: template}
              - {id: c, type: template, template: hi, next: zz}
            """
        #expect(problems(yaml).count == 4)
    }

    @Test func iterationInnerNodesAreCheckedInTheirOwnScope() {
        let yaml = """
            app: x
            inputs: {list: json}
            nodes:
              - id: each
                type: iteration
                items: inputs.list
                output: t.output
                nodes:
                  - {id: t, type: template, template: "{{ each.item }} {{ each.index }} {{ inputs.list }} {{ each.output }}"}
                next: after
              - {id: after, type: template, template: "{{ t.output }}"}
            """
        let found = problems(yaml).map(\.message)
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.contains("only each.item and each.index") })
        #expect(found.contains { $0.contains("runs inside iteration 'each'") })
    }

    @Test func difyDSLIsRecognisedAndAnEmptyGraphIsAnError() {
        #expect(only("version: 0.1.5\nkind: app\napp: {name: x, mode: workflow}\nworkflow: {graph: {nodes: []}}\n")?.message == "the Dify graph has no nodes")
    }
}
