/// The state of mapping one Dify document: its nodes and edges by graph, and what the report collects.
final class DifyConversion {
    struct Node {
        var id: String
        var type: String
        var data: [String: Value]
        var parent: String?
        var location: SourceLocation

        var title: String? { data["title"]?.stringValue }
    }

    struct Edge {
        var source: String
        var target: String
        var handle: String
    }

    let importer: DifyImporter
    let log: DiagnosticLog
    var report: DifyImportReport
    let chat: Bool
    private(set) var nodes: [String: Node] = [:]
    private var order: [String] = []
    private var edges: [Edge] = []
    /// Variable-aggregators with groups: Dify reads `[id, group, output]`, Loom `id.group`.
    private(set) var groupedAggregators: Set<String> = []
    /// The start markers inside iterations and loops: Loom's inner graphs start at the nodes nothing points to,
    /// so these and their edges are left out.
    static let containerStarts: Set<String> = ["iteration-start", "loop-start"]

    init(importer: DifyImporter, log: DiagnosticLog, report: DifyImportReport, chat: Bool) {
        self.importer = importer
        self.log = log
        self.report = report
        self.chat = chat
    }

    func convert(graph: SourceNode, envelope: SourceNode) -> SourceNode? {
        readNodes(graph["nodes"], at: graph.location)
        readEdges(graph["edges"])
        guard !order.isEmpty else {
            log.add("the Dify graph has no nodes", at: graph.location)
            return nil
        }
        let builder = SourceBuilder(location: envelope.location)
        let app = envelope["app"]?.value.objectValue ?? [:]
        let name = app["name"]?.stringValue ?? "imported"
        var top: [(String, SourceNode?)] = [
            ("app", builder.text(Self.slug(name))), ("name", builder.text(name)),
            ("description", (app["description"]?.stringValue).flatMap { $0.isEmpty ? nil : builder.text($0) }),
            ("mode", builder.text(chat ? "chat" : "workflow")),
        ]
        if let start = order.lazy.compactMap({ self.nodes[$0] }).first(where: { $0.type == "start" && $0.parent == nil }) {
            top.append(("inputs", inputs(of: start)))
        }
        top.append(("env", environment(envelope["workflow"])))
        top.append(("conversation_variables", conversationVariables(envelope["workflow"])))
        if let features = envelope["workflow"]?["features"]?.value.objectValue {
            let used = features.filter { _, value in value.objectValue?["enabled"]?.boolValue == true || (value.stringValue.map { !$0.isEmpty } ?? false) }.keys.sorted()
            if !used.isEmpty { report.notes.append(.init(nodeId: nil, message: "app features not carried over: \(used.joined(separator: ", "))")) }
        }
        top.append(("nodes", graphNodes(parent: nil, builder: builder)))
        return builder.mapping(top)
    }

    // MARK: Reading Dify's graph

    private func readNodes(_ list: SourceNode?, at location: SourceLocation) {
        guard let list, case .sequence(let items) = list.kind else {
            log.add("'workflow.graph.nodes' must be a list", at: list?.location ?? location)
            return
        }
        for item in items {
            // Sticky notes are canvas decoration.
            if item["type"]?.value.stringValue == "custom-note" { continue }
            guard let id = item["id"]?.value, !id.isNull, let data = item["data"]?.value.objectValue else {
                log.add("a Dify node needs 'id' and 'data'", at: item.location)
                continue
            }
            let type = data["type"]?.stringValue ?? ""
            if type.isEmpty || type == "custom-note" { continue }
            let parent = item["parentId"]?.value.stringValue ?? data["iteration_id"]?.stringValue ?? data["loop_id"]?.stringValue
            let node = Node(id: id.text, type: type, data: data, parent: parent, location: item.location)
            if nodes[node.id] != nil {
                log.add("duplicate Dify node id '\(node.id)'", at: item.location, node: node.id)
                continue
            }
            nodes[node.id] = node
            order.append(node.id)
            if type == "variable-aggregator", data["advanced_settings"]?.objectValue?["group_enabled"]?.boolValue == true {
                groupedAggregators.insert(node.id)
            }
        }
    }

    private func readEdges(_ list: SourceNode?) {
        for item in list?.items ?? [] {
            guard let source = item["source"]?.value.text, let target = item["target"]?.value.text else {
                log.add("a Dify edge needs 'source' and 'target'", at: item.location)
                continue
            }
            guard nodes[source] != nil, nodes[target] != nil else {
                report.notes.append(.init(nodeId: nodes[source] != nil ? source : nil, message: "edge \(source) → \(target) names a node that is not in the graph; dropped"))
                continue
            }
            let handle = item["sourceHandle"]?.value.stringValue ?? "source"
            edges.append(Edge(source: source, target: target, handle: handle.isEmpty ? "source" : handle))
        }
    }

    /// The Loom nodes of one graph level: top level, or the children of an iteration or loop.
    func graphNodes(parent: String?, builder: SourceBuilder) -> SourceNode {
        let members = order.compactMap { nodes[$0] }.filter { $0.parent == parent && !Self.containerStarts.contains($0.type) }
        return builder.list(members.map(convertNode))
    }

    /// The nodes edges from `node` lead to through any of `handles`, each once, in the file's order.
    func targetIds(of node: Node, handles: Set<String>) -> [String] {
        var seen = Set<String>()
        return edges.filter { $0.source == node.id && handles.contains($0.handle) && !isContainerStart($0.target) }.map(\.target)
            .filter { seen.insert($0).inserted }
    }

    /// Edges from `node` through `handle`, as a target or a list of targets; nil when there are none.
    func targets(of node: Node, handle: String) -> SourceNode? {
        targets(targetIds(of: node, handles: [handle]), at: node.location)
    }

    func targets(_ ids: [String], at location: SourceLocation) -> SourceNode? {
        let builder = SourceBuilder(location: location)
        switch ids.count {
        case 0: return nil
        case 1: return builder.text(ids[0])
        default: return builder.list(ids.map(builder.text))
        }
    }

    func handles(of node: Node) -> Set<String> {
        Set(edges.filter { $0.source == node.id }.map(\.handle))
    }

    private func isContainerStart(_ id: String) -> Bool {
        nodes[id].map { Self.containerStarts.contains($0.type) } ?? false
    }

    // MARK: Names

    /// An app identifier from Dify's app name. A name with no ASCII letters or digits (common: Dify apps are often
    /// named in Chinese) gets `app-` and a stable hash of the name, so two such apps never deploy onto one slug.
    static func slug(_ name: String) -> String {
        var slug = ""
        for character in name.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                slug.append(character)
            } else if !slug.isEmpty, slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        guard slug.isEmpty else { return String(slug.prefix(64)) }
        // FNV-1a: stable across processes, unlike Swift's seeded Hasher.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "app-" + String(String(hash, radix: 16).suffix(10))
    }
}
