/// The state of exporting one workflow: Dify ids for Loom's node ids, the notes, and the graph being written.
final class DifyExportSession {
    let workflow: Workflow
    let mapping: DifyMapping
    var notes: [DifyImportReport.Note] = []
    /// Loom node id → Dify node id (Dify's references accept letters, digits and `_` only).
    private var ids: [String: String] = [:]
    /// Grouped variable-aggregators: Loom reads `id.group`, Dify `[id, group, output]`.
    private(set) var groupedAggregators: Set<String> = []
    /// llm nodes with an output schema: Loom reads `id.structured`, Dify `[id, structured_output]`.
    private(set) var structuredOutputs: Set<String> = []
    private(set) var startId = "start"
    /// Template-transforms that render what a node's Dify form cannot (a calculator expression with sections), by
    /// the Loom id of the node they go before.
    var preludes: [String: [String: Value]] = [:]
    /// Every node id, inner graphs included: what a Mustache name may be besides a section item's field.
    private(set) var knownNodeIds: Set<String> = []

    static let columnWidth = 320
    static let rowHeight = 160

    init(workflow: Workflow, mapping: DifyMapping) {
        self.workflow = workflow
        self.mapping = mapping
        var taken = Set<String>()
        func assign(_ graph: WorkflowGraph) {
            for spec in graph.nodes {
                var id = String(spec.id.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" }.prefix(44))
                while !taken.insert(id).inserted { id += "_" }
                ids[spec.id] = id
                knownNodeIds.insert(spec.id)
                if let aggregator = spec.behavior as? VariableAggregatorNode, aggregator.groups.first?.name != "output" || aggregator.groups.count > 1 {
                    groupedAggregators.insert(spec.id)
                }
                if (spec.behavior as? LLMNode)?.outputSchema != nil { structuredOutputs.insert(spec.id) }
                if let inner = spec.behavior.innerGraph { assign(inner.graph) }
            }
        }
        assign(workflow.graph)
        if let start = workflow.graph.nodes.first(where: { $0.behavior is StartNode }) {
            startId = ids[start.id] ?? "start"
        } else {
            while !taken.insert(startId).inserted { startId += "_" }
        }
    }

    func difyId(_ loomId: String) -> String { ids[loomId] ?? loomId }

    func preludeId(_ loomId: String) -> String { difyId(loomId) + "__expression" }

    /// Where edges into a node arrive: its prelude, if it has one.
    private func entryId(_ loomId: String) -> String {
        preludes[loomId] == nil ? difyId(loomId) : preludeId(loomId)
    }

    func note(_ nodeId: String?, _ message: String) {
        notes.append(.init(nodeId: nodeId, message: message))
    }

    // MARK: The document

    func document() -> Value {
        let chat = workflow.mode == .chat
        var graph = exportGraph(workflow.graph, container: nil)
        let start = workflow.graph.nodes.firstIndex { $0.behavior is StartNode }
        if start == nil {
            // Dify starts every app at its start node: one is added before the nodes that start the Loom run.
            graph.nodes = graph.nodes.map { shifted($0, by: Self.columnWidth) }
            graph.nodes.insert(node(id: startId, type: "start", title: "Start", data: ["variables": .array(startVariables())], x: 30, y: 200), at: 0)
        }
        for root in workflow.graph.roots where root != start {
            let spec = workflow.graph.nodes[root]
            graph.edges.append(edge(from: startId, fromType: "start", handle: EdgeHandle.source, to: entryId(spec.id), toType: difyType(of: spec), container: nil))
        }
        return [
            "kind": "app", "version": .string(DifyExporter.dslVersion),
            "app": [
                "name": .string(workflow.name), "mode": .string(chat ? "advanced-chat" : "workflow"), "description": .string(workflow.description ?? ""),
                "icon": "🤖", "icon_background": "#FFEAD5", "use_icon_as_answer_icon": false,
            ],
            "dependencies": [],
            "workflow": [
                "conversation_variables": .array(workflow.conversationVariables.map { variable in
                    [
                        "id": .string(variable.name), "name": .string(variable.name), "value_type": .string(variable.type.rawValue),
                        "value": variable.defaultValue, "description": .string(variable.description ?? ""),
                        "selector": ["conversation", .string(variable.name)],
                    ]
                }),
                "environment_variables": .array(workflow.environment.map { variable in
                    [
                        "id": .string(variable.name), "name": .string(variable.name), "value_type": .string(variable.secret ? "secret" : "string"),
                        "value": .string(variable.secret ? "" : variable.defaultValue ?? ""), "description": "",
                    ]
                }),
                "features": Self.features,
                "graph": ["nodes": .array(graph.nodes), "edges": .array(graph.edges), "viewport": ["x": 0, "y": 0, "zoom": 0.8]],
            ],
        ]
    }

    static let features: Value = [
        "file_upload": ["enabled": false], "opening_statement": "", "retriever_resource": ["enabled": false],
        "sensitive_word_avoidance": ["enabled": false], "speech_to_text": ["enabled": false], "suggested_questions": [],
        "suggested_questions_after_answer": ["enabled": false], "text_to_speech": ["enabled": false, "language": "", "voice": ""],
    ]

    /// The workflow's inputs as Dify start variables.
    func startVariables() -> [Value] {
        workflow.inputs.map { input in
            let types: [InputDeclaration.Kind: String] = [
                .text: "text-input", .paragraph: "paragraph", .select: "select", .number: "number", .boolean: "checkbox", .json: "json_object",
            ]
            var fields: [String: Value] = [
                "variable": .string(input.name), "label": .string(input.label ?? input.name), "type": .string(types[input.kind] ?? "text-input"),
                "required": .bool(input.required), "options": .array(input.options.map(Value.string)),
            ]
            if let length = input.maxLength { fields["max_length"] = .int(length) }
            if let value = input.defaultValue { fields["default"] = value }
            return .object(fields)
        }
    }

    // MARK: Graphs

    struct Container {
        var id: String
        var isLoop: Bool
    }

    struct ExportedGraph {
        var nodes: [Value] = []
        var edges: [Value] = []
        var width = 0
        var height = 0
    }

    /// One graph level: its nodes placed by depth, left to right, and its edges.
    func exportGraph(_ graph: WorkflowGraph, container: Container?) -> ExportedGraph {
        var result = ExportedGraph()
        let datas = graph.nodes.map(exportNode)
        let depth = depths(graph)
        let offset = container == nil ? 0 : 1
        var rows: [Int: Int] = [:]
        var maxDepth = 0
        for (index, spec) in graph.nodes.enumerated() {
            let exported = datas[index]
            let column = depth[index] + offset
            let row = rows[column, default: 0]
            rows[column] = row + 1
            maxDepth = max(maxDepth, column)
            var data = exported.data
            data.merge(policy(of: spec)) { own, _ in own }
            if let container {
                data[container.isLoop ? "isInLoop" : "isInIteration"] = true
                data[container.isLoop ? "loop_id" : "iteration_id"] = .string(difyId(container.id))
            }
            var entry = node(
                id: difyId(spec.id), type: exported.type, title: spec.title ?? spec.id, data: data, x: 30 + column * Self.columnWidth,
                y: (container == nil ? 200 : 68) + row * Self.rowHeight)
            if let inner = exported.inner, case .object(var fields) = entry {
                fields["width"] = .int(inner.width)
                fields["height"] = .int(inner.height)
                entry = .object(fields)
            }
            result.nodes.append(container.map { parented(entry, to: difyId($0.id)) } ?? entry)
            if let prelude = preludes[spec.id] {
                let x = 30 + column * Self.columnWidth - Self.columnWidth / 2
                let before = node(id: preludeId(spec.id), type: "template-transform", title: (spec.title ?? spec.id) + " (expression)", data: prelude, x: x, y: (container == nil ? 260 : 128) + row * Self.rowHeight)
                result.nodes.append(container.map { parented(before, to: difyId($0.id)) } ?? before)
                result.edges.append(edge(from: preludeId(spec.id), fromType: "template-transform", handle: EdgeHandle.source, to: difyId(spec.id), toType: exported.type, container: container))
            }
            if let inner = exported.inner {
                result.nodes += inner.nodes
                result.edges += inner.edges
            }
        }
        if let container {
            // Dify's containers begin at a start marker that points at the inner graph's first nodes.
            let markerType = container.isLoop ? "loop-start" : "iteration-start"
            let marker = difyId(container.id) + "start"
            var start = node(id: marker, type: markerType, title: "", data: [container.isLoop ? "isInLoop" : "isInIteration": true], x: 24, y: 68)
            if case .object(var fields) = start {
                fields["type"] = .string(container.isLoop ? "custom-loop-start" : "custom-iteration-start")
                fields["draggable"] = false
                fields["selectable"] = false
                start = .object(fields)
            }
            result.nodes.insert(parented(start, to: difyId(container.id)), at: 0)
            for root in graph.roots {
                result.edges.append(edge(from: marker, fromType: markerType, handle: EdgeHandle.source, to: entryId(graph.nodes[root].id), toType: datas[root].type, container: container))
            }
        }
        for edge in graph.edges {
            let handle = edge.handle == EdgeHandle.elseBranch ? "false" : edge.handle
            result.edges.append(self.edge(
                from: difyId(graph.nodes[edge.from].id), fromType: datas[edge.from].type, handle: handle, to: entryId(graph.nodes[edge.to].id),
                toType: datas[edge.to].type, container: container))
        }
        result.width = (maxDepth + 1) * Self.columnWidth + 60
        result.height = max(rows.values.max() ?? 1, 1) * Self.rowHeight + 80
        return result
    }

    /// The longest path from a root to each node: its column.
    private func depths(_ graph: WorkflowGraph) -> [Int] {
        var depth = Array(repeating: 0, count: graph.nodes.count)
        var remaining = graph.incoming.map(\.count)
        var queue = graph.roots
        while let index = queue.popLast() {
            for edgeIndex in graph.outgoing[index] {
                let to = graph.edges[edgeIndex].to
                depth[to] = max(depth[to], depth[index] + 1)
                remaining[to] -= 1
                if remaining[to] == 0 { queue.append(to) }
            }
        }
        return depth
    }

    func node(id: String, type: String, title: String, data: [String: Value], x: Int, y: Int) -> Value {
        var data = data
        data["type"] = .string(type)
        data["title"] = .string(title)
        data["desc"] = data["desc"] ?? ""
        data["selected"] = false
        let position: Value = ["x": .int(x), "y": .int(y)]
        return [
            "id": .string(id), "type": "custom", "data": .object(data), "position": position, "positionAbsolute": position,
            "width": 244, "height": 90, "sourcePosition": "right", "targetPosition": "left", "selected": false,
        ]
    }

    private func parented(_ node: Value, to parent: String) -> Value {
        guard case .object(var fields) = node else { return node }
        fields["parentId"] = .string(parent)
        fields["extent"] = "parent"
        fields["zIndex"] = 1002
        return .object(fields)
    }

    private func shifted(_ node: Value, by dx: Int) -> Value {
        guard case .object(var fields) = node, fields["parentId"] == nil, fields["data"]?[path: ["type"]] != "start" else { return node }
        for key in ["position", "positionAbsolute"] {
            if let x = fields[key]?[path: ["x"]]?.numberValue, let y = fields[key]?[path: ["y"]] {
                fields[key] = ["x": .int(Int(x) + dx), "y": y]
            }
        }
        return .object(fields)
    }

    func edge(from: String, fromType: String, handle: String, to: String, toType: String, container: Container?) -> Value {
        var data: [String: Value] = [
            "sourceType": .string(fromType), "targetType": .string(toType), "isInIteration": .bool(container?.isLoop == false),
            "isInLoop": .bool(container?.isLoop == true),
        ]
        if let container { data[container.isLoop ? "loop_id" : "iteration_id"] = .string(difyId(container.id)) }
        return [
            "id": .string("\(from)-\(handle)-\(to)-target"), "source": .string(from), "sourceHandle": .string(handle), "target": .string(to),
            "targetHandle": "target", "type": "custom", "zIndex": .int(container == nil ? 0 : 1002), "data": .object(data),
        ]
    }
}
