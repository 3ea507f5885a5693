import Foundation
import LoomSandbox
import Testing

@testable import LoomWorkflow

/// Loom workflows written as Dify DSL read back as the same graph, and run the same.
@Suite struct DifyExportTests {
    static let mapping = DifyMapping(models: ["openai/gpt-4o-mini": "default"], datasets: ["6a3f0c2e": "loom-docs"])

    /// Exports and imports again, through YAML text as a user would.
    static func roundTrip(_ workflow: Workflow) throws -> (export: DifyExport, workflow: Workflow) {
        let export = DifyExporter(mapping: mapping).export(workflow)
        var loader = WorkflowLoader(tools: TestFiles.tools, modelNames: ["default"])
        loader.difyMapping = mapping
        return (export, try loader.load(export.yaml, file: "exported.yml"))
    }

    static func loomExamples() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: TestFiles.root.appendingPathComponent("workflows").path)
            .filter { !$0.contains(".dify.") }.sorted()
    }

    /// Every node of every graph level, by id: its type and where its edges go.
    static func shape(_ graph: WorkflowGraph) -> [String: (type: String, edges: Set<String>)] {
        var shape: [String: (String, Set<String>)] = [:]
        for (index, spec) in graph.nodes.enumerated() {
            // A template-transform the export put before a node stands for that node.
            let edges = graph.outgoing[index].map {
                "\(graph.edges[$0].handle)→\(graph.nodes[graph.edges[$0].to].id.replacingOccurrences(of: "__expression", with: ""))"
            }
            shape[spec.id] = (spec.type, Set(edges))
            if let inner = spec.behavior.innerGraph { shape.merge(Self.shape(inner.graph)) { own, _ in own } }
        }
        return shape
    }

    static func node(_ id: String, in graph: WorkflowGraph) -> NodeSpec? {
        graph.node(id) ?? graph.nodes.lazy.compactMap { $0.behavior.innerGraph.flatMap { Self.node(id, in: $0.graph) } }.first
    }

    @Test func everyExampleReadsBackAsTheSameGraph() throws {
        for file in try Self.loomExamples() {
            let original = try TestFiles.example(file)
            let (export, back) = try Self.roundTrip(original)
            #expect(back.difyReport?.unmapped.isEmpty == true, "\(file): \(back.difyReport?.unmapped ?? [])")
            let before = Self.shape(original.graph)
            let after = Self.shape(back.graph)
            // Calculators become Python, nodes Dify lacks placeholders: both code nodes.
            let placeholders = Set(export.notes.filter { $0.message.contains("placeholder") }.compactMap(\.nodeId))
            let difyId = { (id: String) in id.replacingOccurrences(of: "-", with: "_") }
            for (id, node) in before {
                let calculator = Self.node(id, in: original.graph).map { ($0.behavior as? ToolNode)?.tool.name == "calculator" } ?? false
                #expect(after[difyId(id)]?.type == (calculator || placeholders.contains(id) ? CodeNode.typeName : node.type), "\(file): node \(id)")
                let edges = Set(node.edges.map { edge in
                    let parts = edge.split(separator: "→", maxSplits: 1).map(String.init)
                    return parts[0] + "→" + difyId(parts[1])
                })
                #expect(edges.isSubset(of: after[difyId(id)]?.edges ?? []), "\(file): edges of \(id)")
            }
            #expect(back.mode == original.mode && back.inputs.map(\.name) == original.inputs.map(\.name), "\(file)")
            #expect(back.conversationVariables.map(\.name) == original.conversationVariables.map(\.name), "\(file)")
        }
    }

    @Test func theDSLHasDifysShapeLaidOutLeftToRight() throws {
        for file in try Self.loomExamples() {
            let document = DifyExporter().export(try TestFiles.example(file)).document
            #expect(document[path: ["kind"]] == "app" && document[path: ["version"]] == .string(DifyExporter.dslVersion))
            let nodes = document[path: ["workflow", "graph", "nodes"]]?.arrayValue ?? []
            var position: [String: (x: Double, parent: String?)] = [:]
            for node in nodes {
                let id = try #require(node[path: ["id"]]?.stringValue, "\(file)")
                #expect(node[path: ["data", "type"]]?.stringValue?.isEmpty == false, "\(file): \(id)")
                #expect(node[path: ["data", "title"]]?.stringValue != nil, "\(file): \(id)")
                #expect(id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "\(file): \(id)")
                position[id] = (try #require(node[path: ["position", "x"]]?.numberValue), node[path: ["parentId"]]?.stringValue)
            }
            #expect(nodes.filter { $0[path: ["data", "type"]] == "start" && $0[path: ["parentId"]] == nil }.count == 1, "\(file)")
            for edge in document[path: ["workflow", "graph", "edges"]]?.arrayValue ?? [] {
                let from = try #require(position[edge[path: ["source"]]?.text ?? ""], "\(file): \(edge)")
                let to = try #require(position[edge[path: ["target"]]?.text ?? ""], "\(file): \(edge)")
                #expect(from.parent == to.parent && from.x < to.x, "\(file): \(edge)")
                #expect(edge[path: ["sourceHandle"]]?.stringValue != nil && edge[path: ["targetHandle"]] == "target")
            }
        }
    }

    @Test func anExportedAppRunsAsTheOriginal() async throws {
        let lines: Value = [["sku": "bolt", "qty": 10, "unit_price": 0.25], ["sku": "nut", "qty": 4, "unit_price": 1.5]]
        let quote = try TestFiles.example("order-quote.yaml")
        let (_, back) = try Self.roundTrip(quote)
        let code = SandboxedCodeRunner(configuration: .from(environment: [:]))
        let original = try await record(quote, inputs: ["customer": "Acme", "lines": lines, "discount_percent": 10])
        let exported = try await record(back, inputs: ["customer": "Acme", "lines": lines, "discount_percent": 10], code: code)
        // Calculators became Python, the quote's Mustache sections Jinja2 loops.
        #expect(exported.result.status == .succeeded, "\(exported.result.error ?? "")")
        #expect(exported.result.outputs == original.result.outputs)
        let empty = try await record(back, inputs: ["customer": "Acme", "lines": []], code: code)
        #expect(empty.result.outputs["quote"]?.text.contains("(no lines)") == true)

        let scripted = { ScriptedModelProvider([("Shorten this", .init(chunks: ["Cells divide."])), ("What is mitosis?", .init(chunks: ["one two three four five six"]))]) }
        let notes = try TestFiles.example("study-notes.yaml")
        let context = RunContext(query: "What is mitosis?", conversationVariables: ["topics": ["cells"], "questions": 1])
        let first = try await record(notes, inputs: ["max_words": 5], models: scripted(), context: context)
        let second = try await record(try Self.roundTrip(notes).workflow, inputs: ["max_words": 5], models: scripted(), context: context)
        #expect(second.result.outputs == first.result.outputs)
        #expect(second.result.conversationVariables == first.result.conversationVariables)
    }

    @Test func aDifyAppExportedAndImportedAgainRunsTheSame() async throws {
        let imported = try DifyImportTests.loadFixture("loop.yml")
        let (_, again) = try Self.roundTrip(imported)
        for stop in [2, 9] {
            let before = try await record(imported, inputs: ["word": "hi", "stop_at": .int(stop)])
            let after = try await record(again, inputs: ["word": "hi", "stop_at": .int(stop)])
            #expect(after.result.outputs == before.result.outputs)
        }
    }

    @Test func aConditionOnTheFilesItemsGoesToDifyAsASubConditionAndRunsTheSame() async throws {
        let original = try WorkflowLoader().load("""
            app: files
            nodes:
              - id: branch
                type: if-else
                cases: [{id: pictures, when: {var: sys.files, key: type, op: in, value: [image]}, then: seen}]
                else: none
              - {id: seen, type: end, outputs: {}}
              - {id: none, type: end, outputs: {}}
            """, file: "files.yaml")
        let (export, back) = try Self.roundTrip(original)
        #expect(export.yaml.contains("sub_variable_condition"))
        for files: [Value] in [[["type": "image", "url": "https://example.com/a.png"]], [["type": "document", "url": "https://example.com/a.pdf"]], []] {
            let before = try await record(original, context: RunContext(files: files))
            let after = try await record(back, context: RunContext(files: files))
            #expect(before.finished("seen").count == (files.isEmpty || files[0][path: ["type"]] != "image" ? 0 : 1))
            #expect(after.finished("seen").count == before.finished("seen").count && after.finished("none").count == before.finished("none").count, "\(files)")
        }
    }

    @Test func agentsAndWebPagesGoToDifysAgentAndWebScraperAndComeBack() throws {
        let original = try WorkflowLoader(tools: TestFiles.tools, modelNames: ["default"]).load("""
            app: researcher
            inputs: {site: {type: string}}
            nodes:
              - {id: page, type: tool, tool: web_page, arguments: {url: "https://{{ inputs.site }}/about"}, next: agent}
              - id: agent
                type: agent
                model: default
                temperature: 0.2
                instructions: "Answer from {{ page.text }}"
                query: "What does {{ inputs.site }} sell?"
                tools: [current_time, web_page]
                max_iterations: 4
                next: done
              - {id: done, type: end, outputs: {answer: "{{ agent.text }}"}}
            """, file: "researcher.yaml")
        let (export, back) = try Self.roundTrip(original)
        #expect(export.yaml.contains("agent_strategy_name: function_calling") && export.yaml.contains("tool_name: webscraper"))
        #expect(back.difyReport?.unmapped == [])
        let page = try #require(back.graph.node("page")?.behavior as? ToolNode)
        #expect(page.tool.name == "web_page")
        let agent = try #require(back.graph.node("agent")?.behavior as? AgentNode)
        #expect(agent.tools.map(\.name) == ["current_time", "web_page"])
        #expect(agent.maxIterations == 4 && agent.settings.model == "default" && agent.settings.temperature == 0.2)
        // Inputs are the start node's variables in Dify.
        #expect(agent.instructions?.source == "Answer from {{#page.text#}}" && agent.query.source == "What does {{#start.site#}} sell?", "\(agent.query.source)")

        let calculating = try WorkflowLoader(tools: TestFiles.tools, modelNames: ["default"]).load("""
            app: sums
            nodes:
              - {id: agent, type: agent, query: "{{ sys.query }}", tools: [calculator, exchange_latest], next: done}
              - {id: done, type: end, outputs: {answer: "{{ agent.text }}"}}
            """, file: "sums.yaml")
        let placeholder = DifyExporter(mapping: Self.mapping).export(calculating)
        #expect(placeholder.notes.contains { $0.nodeId == "agent" && $0.message.contains("tool 'calculator', which Dify has no built-in equivalent") })
    }

    @Test func whatDifyCannotExpressIsReportedNodeByNode() throws {
        let (export, back) = try Self.roundTrip(try TestFiles.example("helpdesk-reply.yaml"))
        #expect(export.notes.contains { $0.nodeId == "keep" && $0.message.contains("is a Loom dataset-annotation node, which Dify has no equivalent of") })
        #expect(back.graph.node("keep")?.type == CodeNode.typeName)
        let models = DifyExporter().export(try TestFiles.example("helpdesk-reply.yaml"))
        #expect(models.notes.contains { $0.message.contains("model 'default' is not in the mapping") })
    }

    @Test func timeFormatsTranslateBothWays() {
        #expect(DifyTimeFormat.pattern(fromStrftime: "%Y-%m-%d %H:%M:%S") == "yyyy-MM-dd HH:mm:ss")
        #expect(DifyTimeFormat.pattern(fromStrftime: "at %H h, 100%%") == "'at 'HH' h, 100%'")
        #expect(DifyTimeFormat.pattern(fromStrftime: "%U") == nil)
        #expect(DifyTimeFormat.strftime(fromLoom: "yyyy-MM-dd 'at' HH:mm") == "%Y-%m-%d at %H:%M")
        #expect(DifyTimeFormat.strftime(fromLoom: "QQQ") == nil)
    }
}
