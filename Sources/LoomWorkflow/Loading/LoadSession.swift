/// The state of loading one document: diagnostics, the node ids seen so far (ids are unique across the whole
/// workflow, inner graphs included, because all outputs share one variable pool), and what nodes may name.
final class LoadSession {
    let log: DiagnosticLog
    let tools: ToolRegistry
    let modelNames: [String]?
    let datasets: [String: KnownDataset]?
    let nodeTypes: [String: any WorkflowNode.Type]
    private var seenIds: [String: (location: SourceLocation, graph: Int)] = [:]
    /// Nodes that failed to load: edges to them and reads of them are not reported again.
    private(set) var failedIds: Set<String> = []
    private var graphCount = 0

    static let commonKeys = ["id", "type", "title", "description", "next", "retry", "timeout_s", "on_error"]

    init(log: DiagnosticLog, tools: ToolRegistry, modelNames: [String]?, datasets: [String: KnownDataset]?, nodeTypes: [any WorkflowNode.Type]) {
        self.log = log
        self.tools = tools
        self.modelNames = modelNames
        self.datasets = datasets
        self.nodeTypes = Dictionary(nodeTypes.map { ($0.typeName, $0) }, uniquingKeysWith: { _, last in last })
    }

    func loadGraph(_ node: SourceNode, explicitEdges: SourceNode?) -> WorkflowGraph? {
        guard case .sequence(let items) = node.kind else {
            log.add("'nodes' must be a list of nodes, not a \(node.kindName)", at: node.location)
            return nil
        }
        guard !items.isEmpty else {
            log.add("'nodes' is empty: a workflow needs at least one node", at: node.location)
            return nil
        }
        graphCount += 1
        let graphNumber = graphCount
        var specs: [NodeSpec] = []
        var drafts: [EdgeDraft] = []
        for item in items {
            guard let (spec, edges) = loadNode(item, graph: graphNumber) else { continue }
            specs.append(spec)
            drafts += edges
        }
        if let explicitEdges { drafts += readExplicitEdges(explicitEdges) }
        return WorkflowGraph(nodes: specs, edges: resolve(drafts, among: specs, graph: graphNumber))
    }

    func loadInnerGraph(_ node: SourceNode, owner: String, innerOutputs: [String]) -> WorkflowGraph? {
        let before = log.diagnostics.count
        let graph = loadGraph(node, explicitEdges: nil)
        return log.diagnostics.count == before ? graph : nil
    }

    private func loadNode(_ item: SourceNode, graph: Int) -> (NodeSpec, [EdgeDraft])? {
        let id = nodeId(of: item)
        let loaded = readNode(item, graph: graph)
        if loaded == nil, let id { failedIds.insert(id) }
        return loaded
    }

    private func nodeId(of item: SourceNode) -> String? {
        guard case .mapping(let entries) = item.kind, let entry = entries.first(where: { $0.key == "id" }), case .scalar(let value) = entry.value.kind else {
            return nil
        }
        return value.text
    }

    private func readNode(_ item: SourceNode, graph: Int) -> (NodeSpec, [EdgeDraft])? {
        guard case .mapping(let list) = item.kind else {
            log.add("each node must be a mapping with at least 'id' and 'type', not a \(item.kindName)", at: item.location)
            return nil
        }
        var entries: [String: SourceEntry] = [:]
        for entry in list {
            if entries[entry.key] != nil {
                log.add("duplicate key '\(entry.key)'", at: entry.keyLocation)
            }
            entries[entry.key] = entry
        }
        guard let idEntry = entries["id"], case .scalar(let idValue) = idEntry.value.kind, idValue.typeName == "string" || idValue.typeName == "number" else {
            log.add("a node needs an 'id' (text)", at: entries["id"]?.value.location ?? item.location)
            return nil
        }
        let id = idValue.text
        guard Self.isValidId(id) else {
            log.add("'\(id)' is not a valid node id: use letters, digits, '_' and '-' (at most 64), starting with a letter or digit", at: idEntry.value.location, node: id)
            return nil
        }
        if VariableNamespace.all.contains(id) {
            log.add("'\(id)' is reserved for the \(id) namespace; choose another node id", at: idEntry.value.location, node: id)
            return nil
        }
        if let first = seenIds[id] {
            log.add("duplicate node id '\(id)' (first defined at line \(first.location.line))", at: idEntry.value.location, node: id)
            return nil
        }
        seenIds[id] = (idEntry.value.location, graph)
        guard let typeEntry = entries["type"], case .scalar(.string(let typeName)) = typeEntry.value.kind else {
            log.add("missing 'type' (one of: \(nodeTypes.keys.sorted().joined(separator: ", ")))", at: item.location, node: id)
            return nil
        }
        guard let type = nodeTypes[typeName] else {
            log.add("unknown node type '\(typeName)'; known types: \(nodeTypes.keys.sorted().joined(separator: ", "))", at: typeEntry.value.location, node: id)
            return nil
        }
        let allowed = Set(Self.commonKeys + type.configKeys)
        for entry in list where !allowed.contains(entry.key) {
            log.add("unknown key '\(entry.key)' for a \(typeName) node; allowed: \((Self.commonKeys + type.configKeys).joined(separator: ", "))", at: entry.keyLocation, node: id)
        }

        let reader = NodeReader(nodeId: id, typeName: typeName, location: item.location, entries: entries, log: log, session: self)
        let title = reader.string("title")
        _ = reader.string("description")
        let policy = readPolicy(reader)
        if let next = reader.node("next") { reader.edges(to: next, handle: EdgeHandle.source) }
        guard let behavior = type.decode(reader), reader.isValid else { return nil }
        let spec = NodeSpec(
            id: id, type: typeName, title: title, behavior: behavior, policy: policy, location: item.location, reads: reader.reads)
        return (spec, reader.edges)
    }

    private func readPolicy(_ reader: NodeReader) -> NodePolicy {
        var policy = NodePolicy()
        if let node = reader.node("retry"), let retry = reader.mapping(node, what: "'retry'", allowed: ["max", "interval_ms"]) {
            let max = retry["max"].flatMap { reader.number($0, what: "'retry.max'", in: 0...10) } ?? 1
            let interval = retry["interval_ms"].flatMap { reader.number($0, what: "'retry.interval_ms'", in: 0...600_000) } ?? 1000
            policy.retry = RetryPolicy(maxRetries: Int(max), interval: .milliseconds(Int(interval)))
        }
        if let seconds = reader.number("timeout_s", in: 0.001...86_400) {
            policy.timeout = .milliseconds(Int((seconds * 1000).rounded()))
        }
        if let node = reader.node("on_error") {
            switch node.kind {
            case .scalar(.string("fail")):
                policy.onError = .fail
            case .mapping(let entries) where entries.count == 1 && entries[0].key == "default":
                if let outputs = reader.mapping(entries[0].value, what: "'on_error.default'") {
                    var defaults: [String: ValueTemplate] = [:]
                    for entry in outputs {
                        if let value = reader.valueTemplate(entry.value, what: "'on_error.default.\(entry.key)'") { defaults[entry.key] = value }
                    }
                    policy.onError = .defaultValue(defaults)
                }
            case .mapping(let entries) where entries.count == 1 && entries[0].key == "branch":
                reader.edges(to: entries[0].value, handle: EdgeHandle.failBranch)
                policy.onError = .branch
            default:
                reader.error("'on_error' must be fail, {default: {output: value, …}} or {branch: node_id}", at: node.location)
            }
        }
        return policy
    }

    private func readExplicitEdges(_ node: SourceNode) -> [EdgeDraft] {
        guard case .sequence(let items) = node.kind else {
            log.add("'edges' must be a list of {from, to, handle}", at: node.location)
            return []
        }
        var drafts: [EdgeDraft] = []
        for item in items {
            guard case .mapping(let entries) = item.kind else {
                log.add("an edge must be a mapping {from, to, handle}", at: item.location)
                continue
            }
            var fields: [String: String] = [:]
            for entry in entries {
                guard ["from", "to", "handle"].contains(entry.key) else {
                    log.add("unknown key '\(entry.key)' in an edge; expected from, to, handle", at: entry.keyLocation)
                    continue
                }
                guard case .scalar(let value) = entry.value.kind, !value.isNull else {
                    log.add("edge '\(entry.key)' must be text", at: entry.value.location)
                    continue
                }
                fields[entry.key] = value.text
            }
            guard let from = fields["from"], let to = fields["to"] else {
                log.add("an edge needs 'from' and 'to'", at: item.location)
                continue
            }
            // Dify calls the else handle of an if-else "false".
            let handle = fields["handle"].map { $0 == "false" ? EdgeHandle.elseBranch : $0 } ?? EdgeHandle.source
            drafts.append(EdgeDraft(from: from, to: to, handle: handle, location: item.location))
        }
        return drafts
    }

    private func resolve(_ drafts: [EdgeDraft], among specs: [NodeSpec], graph: Int) -> [Edge] {
        var indexById: [String: Int] = [:]
        for (index, spec) in specs.enumerated() { indexById[spec.id] = index }
        var edges: [Edge] = []
        var seen = Set<Edge>()
        for draft in drafts {
            guard let from = indexById[draft.from], let to = indexById[draft.to] else {
                for end in [draft.from, draft.to] where indexById[end] == nil && !failedIds.contains(end) {
                    let direction = end == draft.from ? "from" : "to"
                    if let seen = seenIds[end], seen.graph != graph {
                        log.add("edge \(direction) '\(end)', which is in another graph: edges cannot cross into or out of an iteration", at: draft.location, node: draft.from)
                    } else {
                        log.add("edge \(direction) '\(end)', which is not a node of this workflow", at: draft.location, node: draft.from)
                    }
                }
                continue
            }
            let spec = specs[from]
            var handles = spec.behavior.handles
            if case .branch = spec.policy.onError { handles.append(EdgeHandle.failBranch) }
            guard handles.contains(draft.handle) else {
                log.add("\(spec.type) node '\(spec.id)' has no '\(draft.handle)' handle; its edges leave through: \(handles.joined(separator: ", "))", at: draft.location, node: spec.id)
                continue
            }
            if from == to {
                log.add("node '\(draft.from)' has an edge to itself (a cycle)", at: draft.location, node: draft.from)
                continue
            }
            let edge = Edge(from: from, to: to, handle: draft.handle)
            if seen.insert(edge).inserted { edges.append(edge) }
        }
        return edges
    }

    static func isValidId(_ id: String) -> Bool {
        guard let first = id.first, id.count <= 64, first.isASCII, first.isLetter || first.isNumber else { return false }
        return id.allSatisfy(VariablePath.isNameCharacter)
    }
}
