import Foundation
import LoomSandbox
import Testing

@testable import LoomWorkflow

/// Dify DSL files of our own making load unchanged and run as Dify runs them.
@Suite struct DifyImportTests {
    static func fixture(_ name: String) throws -> String {
        try String(contentsOfFile: TestFiles.root.appendingPathComponent("Tests/DifyFixtures/\(name)").path, encoding: .utf8)
    }

    static func loadFixture(_ name: String, edit: (String) -> String = { $0 }) throws -> Workflow {
        try WorkflowLoader(modelNames: ["default"]).load(edit(try fixture(name)), file: name)
    }

    /// A Dify workflow app of a start node `s` and, after it, the node `a` written in flow style; `a` is on line 7.
    static func startThen(_ node: String) -> String {
        """
        kind: app
        app: {name: x, mode: workflow}
        workflow:
          graph:
            nodes:
            - {id: s, data: {type: start, variables: []}}
            - \(node)
            edges: [{source: s, target: a}]
        """
    }

    static let code = SandboxedCodeRunner(configuration: .from(environment: [:]))

    @Test func aJoinAfterParallelBranchesRunsOnceAndTheElseBranchIsTaken() async throws {
        let workflow = try Self.loadFixture("parallel-join.yml")
        #expect(workflow.difyReport?.mapped == ["start": 1, "template-transform": 4, "code": 1, "if-else": 1, "variable-aggregator": 1, "end": 1])
        let small = try await record(workflow, inputs: ["text": "hey", "n": 3], code: Self.code)
        #expect(small.result.status == .succeeded)
        #expect(small.result.outputs == ["result": "HEY/3/small", "size": "small"])
        #expect(small.finished("join").count == 1)
        #expect(small.finished("big").isEmpty)
        let big = try await record(workflow, inputs: ["text": "hello", "n": 20], code: Self.code)
        #expect(big.result.outputs == ["result": "HELLO/5/big", "size": "big"])
    }

    @Test func retriesDefaultValuesAndFailBranchesEndPartialSucceeded() async throws {
        let workflow = try Self.loadFixture("errors.yml")
        #expect(workflow.difyReport?.unmapped.map(\.nodeId) == ["agent"])
        let run = try await record(workflow, code: Self.code)
        #expect(run.result.status == .partialSucceeded)
        #expect(run.result.outputs == ["fallback": "got fallback", "recovered": "recovered from not_available"])
        let flaky = try #require(run.finished("flaky").first)
        #expect(flaky.status == .exception)
        #expect(flaky.retries == 2)
        #expect(flaky.outputs["error_message"]?.text.contains("the service is down") == true)
        #expect(run.finished("agent").first?.outputs["error_message"]?.text.contains("the agent has no enabled tool") == true)
        #expect(run.finished("unreached").isEmpty)
        #expect(run.finished("end").count == 1)
    }

    @Test func anUnmappedNodeWithoutAStrategyFailsTheRunWithTheReason() async throws {
        let workflow = try Self.loadFixture("errors.yml") {
            $0.replacingOccurrences(of: "        error_strategy: fail-branch\n", with: "").replacingOccurrences(of: "variables: [{variable: kind, value_selector: [agent, error_type]}]", with: "variables: []")
        }
        let run = try await record(workflow, code: Self.code)
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("this agent node was not mapped from Dify") == true)
    }

    @Test(arguments: [
        ("remove-abnormal-output", Value.array([10.0, 0, 5.0, 2])),
        ("continue-on-error", Value.array([[10.0, 0], .null, [5.0, 2]])),
    ])
    func iterationErrorModesAndFlattening(mode: String, expected: Value) async throws {
        let workflow = try Self.loadFixture("iteration.yml") { $0.replacingOccurrences(of: "remove-abnormal-output", with: mode) }
        let run = try await record(workflow, code: Self.code)
        #expect(run.result.outputs["values"] == expected)
        #expect(run.finished("invert").count == 3)
    }

    @Test func aTerminatingIterationFailsOnTheBadItem() async throws {
        let workflow = try Self.loadFixture("iteration.yml") { $0.replacingOccurrences(of: "remove-abnormal-output", with: "terminated") }
        let run = try await record(workflow, code: Self.code)
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("ZeroDivisionError") == true)
    }

    @Test(arguments: [(2, 2, Value.array(["hi-1", "hi-0"])), (9, 5, Value.array(["hi-4", "hi-3"]))])
    func loopsEndAtALoopEndOrTheirBreakConditions(stopAt: Int, rounds: Int, latest: Value) async throws {
        let workflow = try Self.loadFixture("loop.yml")
        #expect(workflow.difyReport?.unmapped.isEmpty == true)
        #expect(workflow.difyReport?.mapped["loop-end"] == 1 && workflow.difyReport?.mapped["list-operator"] == 1)
        let run = try await record(workflow, inputs: ["word": "hi", "stop_at": .int(stopAt)])
        #expect(run.result.status == .succeeded, "\(run.result.error ?? "")")
        #expect(run.result.outputs["rounds"] == .int(rounds))
        #expect(run.result.outputs["count"] == .int(rounds))
        #expect(run.result.outputs["latest"] == latest)
        #expect(run.result.outputs["first"] == latest.arrayValue?.first)
        #expect(run.names.filter { $0 == "loop_next" }.count == rounds)
    }

    @Test func conversationVariablesAndBothAssignerVersionsMap() async throws {
        let workflow = try Self.loadFixture("conversation.yml")
        #expect(workflow.conversationVariables.map(\.name) == ["said", "turns", "last"])
        #expect(workflow.difyReport?.mapped["assigner"] == 2)
        let first = try await record(workflow, context: RunContext(user: "ana", query: "hello"))
        #expect(first.result.outputs["answer"] == #"turn 1 by ana: ["hello"]"#)
        let second = try await record(
            workflow, context: RunContext(user: "bo", query: "again", conversationVariables: first.result.conversationVariables ?? [:]))
        #expect(second.result.outputs["answer"] == #"turn 2 by bo: ["hello","again"]"#)
    }

    @Test func aDocumentExtractorReadsAFileInputOrSysFilesByURL() throws {
        let file = Self.startThen("{id: a, data: {type: document-extractor, variable_selector: [s, doc], is_array_file: false}}")
            .replacingOccurrences(of: "variables: []", with: "variables: [{variable: doc, type: file, label: Doc}]")
        let mapped = try WorkflowLoader().load(file, file: "x.yml")
        #expect((mapped.graph.node("a")?.behavior as? DocumentExtractorNode)?.file.description == "s.doc")
        let given = try WorkflowLoader().load(Self.startThen("{id: a, data: {type: document-extractor, variable_selector: [sys, files]}}"), file: "x.yml")
        #expect((given.graph.node("a")?.behavior as? DocumentExtractorNode)?.file.description == "sys.files")
    }

    @Test func nodesReadingSysFilesMapAndConditionsOnFileAttributesBranchOnTheGivenFiles() async throws {
        let list = try WorkflowLoader().load(Self.startThen(
            "{id: a, data: {type: list-operator, variable: [sys, files], filter_by: {enabled: true, conditions: [{key: type, comparison_operator: in, value: [image]}]}}}"),
            file: "x.yml")
        #expect(list.difyReport?.unmapped == [])
        #expect((list.graph.node("a")?.behavior as? ListOperatorNode)?.list.description == "sys.files")
        let workflow = try WorkflowLoader().load("""
            kind: app
            app: {name: files, mode: workflow}
            workflow:
              graph:
                nodes:
                - {id: s, data: {type: start, variables: []}}
                - id: b
                  data:
                    type: if-else
                    cases:
                    - case_id: 'true'
                      logical_operator: and
                      conditions:
                      - variable_selector: [sys, files]
                        comparison_operator: contains
                        sub_variable_condition:
                          logical_operator: and
                          conditions: [{key: type, comparison_operator: in, value: [image]}, {key: extension, comparison_operator: is, value: png}]
                - {id: picture, data: {type: end, outputs: [{variable: seen, value_selector: [sys, files, '0', type]}]}}
                - {id: other, data: {type: end, outputs: []}}
                edges:
                - {source: s, target: b}
                - {source: b, sourceHandle: 'true', target: picture}
                - {source: b, sourceHandle: 'false', target: other}
            """, file: "files.yml")
        #expect(workflow.difyReport?.unmapped == [])
        let png: Value = ["type": "image", "url": "https://example.com/a.png", "extension": ".png"]
        let pdf: Value = ["type": "document", "url": "https://example.com/a.pdf", "extension": ".pdf"]
        #expect(try await record(workflow, context: RunContext(files: [pdf, png])).finished("picture").count == 1)
        #expect(try await record(workflow, context: RunContext(files: [pdf])).finished("other").count == 1)
        #expect(try await record(workflow).finished("other").count == 1)
    }

    @Test func anAgentWhoseToolsLoomHasMapsToLoomsAgentAndOneMissingAToolIsReported() throws {
        func agent(tools: String, strategy: String = "function_calling") -> String {
            Self.startThen("""
                {id: a, data: {type: agent, agent_strategy_name: \(strategy), agent_parameters: {\
                instruction: {type: constant, value: 'Answer with the time.'}, query: {type: constant, value: '{{#sys.query#}}'}, \
                maximum_iterations: {type: constant, value: 4}, \
                model: {type: constant, value: {provider: langgenius/openai/openai, model: gpt-4o-mini, completion_params: {temperature: 0.2}}}, \
                tools: {type: constant, value: [\(tools)]}}}}
                """)
        }
        let time = "{enabled: true, provider_name: time, tool_name: current_time, settings: {timezone: {value: UTC}}}"
        let search = "{enabled: true, provider_name: langgenius/duckduckgo/duckduckgo, tool_name: ddgo_search}"
        var loader = WorkflowLoader(modelNames: ["default", "smollm2-135m"])
        loader.difyMapping = try DifyMapping.parse("models: {openai/gpt-4o-mini: smollm2-135m}", file: "map.yaml")
        let mapped = try loader.load(agent(tools: time + ", " + search.replacingOccurrences(of: "enabled: true", with: "enabled: false")), file: "x.yml")
        #expect(mapped.difyReport?.unmapped == [])
        let node = try #require(mapped.graph.node("a")?.behavior as? AgentNode)
        #expect(node.tools.map(\.name) == ["current_time"])
        #expect(node.settings.model == "smollm2-135m")
        #expect(node.settings.temperature == 0.2)
        #expect(node.maxIterations == 4)
        #expect(node.instructions?.source == "Answer with the time.")
        #expect(mapped.difyReport?.notes.contains { $0.message.contains("current_time (timezone) are left to the model") } == true)

        let missing = try loader.load(agent(tools: time + ", " + search), file: "x.yml")
        #expect(missing.difyReport?.unmapped.map(\.reason) == [
            "the agent's tool langgenius/duckduckgo/duckduckgo/ddgo_search has no Loom equivalent (Loom's built-in tools: calculator, current_time, web_page)"
        ])
        let strategy = try loader.load(agent(tools: time, strategy: "tree_of_thought"), file: "x.yml")
        #expect(strategy.difyReport?.unmapped.first?.reason.hasPrefix("agent strategy 'tree_of_thought' has no Loom equivalent") == true)
    }

    @Test func difysWebScraperAndJinaReaderBecomeLoomsWebPageTool() throws {
        let scraper = "{id: a, data: {type: tool, provider_id: webscraper, tool_name: webscraper, tool_parameters: {url: {type: mixed, value: 'https://{{#s.site#}}/about'}}}}"
        let reader = "{id: a, data: {type: tool, provider_id: jina, tool_name: jina_reader, tool_parameters: {url: {type: variable, value: [s, site]}}}}"
        for (node, url) in [(scraper, "https://{{#s.site#}}/about"), (reader, "{{#s.site#}}")] {
            let file = Self.startThen(node).replacingOccurrences(of: "variables: []", with: "variables: [{variable: site, type: text-input, label: Site}]")
            let workflow = try WorkflowLoader(tools: TestFiles.tools).load(file, file: "x.yml")
            #expect(workflow.difyReport?.unmapped == [])
            let tool = try #require(workflow.graph.node("a")?.behavior as? ToolNode)
            #expect(tool.tool.name == "web_page")
            guard case .template(let template)? = tool.arguments["url"] else {
                Issue.record("the url is not a template: \(String(describing: tool.arguments["url"]))")
                continue
            }
            #expect(template.source == url)
        }
    }

    @Test func theTypicalChatAppMapsEveryNodeAndItsContext() throws {
        var loader = WorkflowLoader(modelNames: ["default", "smollm2-135m"])
        loader.difyMapping = try DifyMapping.parse(
            try String(contentsOfFile: TestFiles.root.appendingPathComponent("deploy/dify-mapping.yaml").path, encoding: .utf8), file: "mapping")
        loader.datasets = ["loom-docs": KnownDataset(kind: .knowledge, latestVersion: 1)]
        let text = try String(contentsOfFile: TestFiles.root.appendingPathComponent("workflows/support-bot.dify.yml").path, encoding: .utf8)
        let workflow = try loader.load(text, file: "support-bot.dify.yml")
        #expect(workflow.app == "support-bot")
        #expect(workflow.mode == .chat)
        #expect(workflow.difyReport?.unmapped == [])
        let llm = try #require(workflow.graph.node("1711000000005")?.behavior as? LLMNode)
        #expect(llm.settings.model == "smollm2-135m")
        #expect(llm.memoryTurns == 3)
        #expect(llm.messages.first?.template.source.hasSuffix("{{#1711000000004.context#}}") == true)
        let retrieval = try #require(workflow.graph.node("1711000000004")?.behavior as? KnowledgeRetrievalNode)
        #expect(retrieval.datasets == [DatasetReference(name: "loom-docs")])
        #expect(retrieval.topK == 3)
        let branch = try #require(workflow.graph.node("1711000000003")?.behavior as? IfElseNode)
        #expect(branch.handles == ["true", "else"])
    }

    @Test func appsNamedWithoutASCIIGetStableSlugsOfTheirOwn() throws {
        func slug(_ name: String) throws -> String {
            try WorkflowLoader(modelNames: ["default"]).load(Self.startThen("{id: a, data: {type: end, outputs: []}}")
                .replacingOccurrences(of: "name: x", with: "name: \(name)"), file: "x.yml").app
        }
        let translate = try slug("中译英")
        #expect(translate.hasPrefix("app-"))
        #expect(try slug("中译英") == translate)
        #expect(try slug("记忆测试") != translate)
        #expect(try slug("SEO Slug Generator") == "seo-slug-generator")
    }

    @Test func anUnmappedDatasetMakesTheNodeUnsupportedNotTheAppUnloadable() throws {
        var loader = WorkflowLoader(modelNames: ["default"])
        loader.datasets = ["other": KnownDataset(kind: .knowledge, latestVersion: 1)]
        let text = try String(contentsOfFile: TestFiles.root.appendingPathComponent("workflows/support-bot.dify.yml").path, encoding: .utf8)
        let workflow = try loader.load(text, file: "support-bot.dify.yml")
        #expect(workflow.difyReport?.unmapped.map(\.nodeId) == ["1711000000004"])
        #expect(workflow.difyReport?.unmapped.first?.reason.contains("6a3f0c2e-9b7d-4e51-8a40-5d2c1e0f9b31") == true)
    }

    @Test func theWrittenLoomYAMLLoadsToTheSameWorkflow() throws {
        for name in ["parallel-join.yml", "errors.yml", "iteration.yml"] {
            let imported = try DifyImporter().importDocument(try Self.fixture(name), file: name)
            let direct = try Self.loadFixture(name)
            let written = try WorkflowLoader(modelNames: ["default"]).load(imported.yaml, file: name + ".yaml")
            #expect(written.canonicalJSON == direct.canonicalJSON, "\(name)")
        }
        let errors = try DifyImporter().importDocument(try Self.fixture("errors.yml"), file: "errors.yml")
        #expect(errors.yaml.contains("# not mapped (Dify agent): the agent has no enabled tool"))
    }

    @Test func legacyFormsMapToo() throws {
        let workflow = try load(
            """
            kind: app
            version: 0.1.0
            app: {name: Legacy, mode: advanced-chat}
            workflow:
              graph:
                nodes:
                - {id: s, data: {type: start, variables: []}}
                - id: check
                  data:
                    type: if-else
                    logical_operator: or
                    conditions:
                    - {variable_selector: [s, sys.query], comparison_operator: contains, value: help}
                    - {variable_selector: [s, sys.query], comparison_operator: empty, value: ''}
                - {id: yes, data: {type: answer, answer: 'Helping with {{#sys.query#}}'}}
                - {id: no, data: {type: answer, answer: 'ok'}}
                edges:
                - {source: s, target: check}
                - {source: check, sourceHandle: 'true', target: yes}
                - {source: check, sourceHandle: 'false', target: no}
            """)
        let branch = try #require(workflow.graph.node("check")?.behavior as? IfElseNode)
        guard case .any(let conditions) = branch.cases.first?.condition, case .compare(let variable, .contains, _) = conditions.first else {
            Issue.record("expected an any-condition on sys.query")
            return
        }
        #expect(variable == VariablePath(["sys", "query"]))
        #expect((workflow.graph.node("yes")?.behavior as? AnswerNode)?.template.source == "Helping with {{#sys.query#}}")
    }

    @Test func badDifyFilesGiveLocatedErrors() {
        let noGraph = problems("kind: app\nversion: 0.6.0\napp: {name: x, mode: workflow}\n", file: "x.yml")
        #expect(noGraph.map(\.description) == ["x.yml:1:1: missing 'workflow.graph': a workflow app needs its graph"])
        let chatApp = problems("kind: app\napp: {name: x, mode: agent-chat}\nmodel_config: {}\n", file: "x.yml")
        #expect(chatApp.first?.message.contains("Dify app mode 'agent-chat' has no workflow graph") == true)
        #expect(chatApp.first?.location.line == 2)
        let badTemplate = problems(Self.startThen("{id: a, data: {type: answer, answer: '{{#s.x#}} {{ unclosed'}}"), file: "x.yml")
        #expect(badTemplate.first?.nodeId == "a")
        #expect(badTemplate.first?.location.line == 7)
        #expect(badTemplate.first?.message.contains("template syntax error") == true)
    }

    @Test func aTemplateTransformOutsideTheJinjaSubsetIsReportedNodeByNode() throws {
        let workflow = try load(Self.startThen("{id: a, data: {type: template-transform, template: '{% macro m() %}x{% endmacro %}', variables: []}}"))
        #expect(workflow.difyReport?.unmapped.first?.reason.contains("'macro' statement is not supported") == true)
    }
}

/// Mapping files are checked like workflow files: each problem with its place.
@Suite struct DifyMappingTests {
    @Test func aMalformedMappingFileGivesLocatedErrors() {
        #expect(throws: WorkflowLoadError.self) { try DifyMapping.parse("models: [a, b]\n", file: "map.yaml") }
        do {
            _ = try DifyMapping.parse("models:\n  openai/gpt-4o: [x]\nrouting: {}\n", file: "map.yaml")
            Issue.record("a malformed mapping was accepted")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "map.yaml:2:18: 'openai/gpt-4o' must map to a name", "map.yaml:3:1: unknown key 'routing'; expected models, datasets",
            ])
        }
    }

    @Test func modelsMapByProviderAndNameThenByName() throws {
        let mapping = try DifyMapping.parse("models: {openai/gpt-4o: big, gpt-4o-mini: small}\n", file: "map.yaml")
        #expect(mapping.model(provider: "openai", name: "gpt-4o") == "big")
        #expect(mapping.model(provider: "langgenius/openai/openai", name: "gpt-4o") == "big")
        #expect(mapping.model(provider: "azure", name: "gpt-4o-mini") == "small")
        #expect(mapping.model(provider: "azure", name: "gpt-4o") == nil)
    }
}
