import Foundation

/// Reads one node's YAML for its type's `decode`: typed accessors that record every problem with its location,
/// the variables the node reads, and the edges it declares.
public final class NodeReader {
    public let nodeId: String
    public let typeName: String
    public let location: SourceLocation
    private let entries: [String: SourceEntry]
    private let log: DiagnosticLog
    let session: LoadSession
    private(set) var reads: [NodeRead] = []
    private(set) var edges: [EdgeDraft] = []
    private var errorCount = 0

    init(nodeId: String, typeName: String, location: SourceLocation, entries: [String: SourceEntry], log: DiagnosticLog, session: LoadSession) {
        self.nodeId = nodeId
        self.typeName = typeName
        self.location = location
        self.entries = entries
        self.log = log
        self.session = session
    }

    /// True when nothing this reader read was wrong.
    public var isValid: Bool { errorCount == 0 }

    public var tools: ToolRegistry { session.tools }
    public var modelNames: [String]? { session.modelNames }
    public var datasets: [String: KnownDataset]? { session.datasets }

    /// Reports a dataset that does not exist (when the loader knows the datasets), is of another kind, or lacks
    /// the pinned version.
    public func checkDataset(_ reference: DatasetReference, kind: DatasetKind, at location: SourceLocation) {
        guard let known = datasets else { return }
        guard let dataset = known[reference.name] else {
            let names = known.filter { $0.value.kind == kind }.keys.sorted()
            error(
                "unknown dataset '\(reference.name)' (\(names.isEmpty ? "no \(kind.rawValue) datasets exist yet" : "\(kind.rawValue) datasets: " + names.joined(separator: ", ")))",
                at: location)
            return
        }
        if dataset.kind != kind {
            error("dataset '\(reference.name)' holds \(dataset.kind.rawValue), and a \(typeName) node needs a \(kind.rawValue) dataset", at: location)
        } else if let version = reference.version, version > dataset.latestVersion {
            error("dataset '\(reference.name)' has no version \(version) (its latest is \(dataset.latestVersion))", at: location)
        }
    }

    public func error(_ message: String, at location: SourceLocation? = nil) {
        errorCount += 1
        log.add(message, at: location ?? self.location, node: nodeId)
    }

    // MARK: Keys

    public func has(_ key: String) -> Bool { entries[key] != nil }

    public func node(_ key: String, required: Bool = false) -> SourceNode? {
        guard let entry = entries[key] else {
            if required { error("missing required key '\(key)' for a \(typeName) node") }
            return nil
        }
        return entry.value
    }

    public func string(_ key: String, required: Bool = false) -> String? {
        node(key, required: required).flatMap { string($0, what: "'\(key)'") }
    }

    public func string(_ node: SourceNode, what: String) -> String? {
        switch node.kind {
        case .scalar(.string(let text)): return text
        case .scalar(let value) where value.typeName == "number": return value.text
        default:
            error("\(what) must be text, not a \(node.kindName)", at: node.location)
            return nil
        }
    }

    public func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let node = node(key) else { return nil }
        guard case .scalar(.int(let number)) = node.kind else {
            error("'\(key)' must be a whole number, not a \(node.kindName)", at: node.location)
            return nil
        }
        guard range.contains(number) else {
            error("'\(key)' must be between \(range.lowerBound) and \(range.upperBound), got \(number)", at: node.location)
            return nil
        }
        return number
    }

    public func number(_ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let node = node(key) else { return nil }
        return number(node, what: "'\(key)'", in: range)
    }

    public func number(_ node: SourceNode, what: String, in range: ClosedRange<Double>) -> Double? {
        let number: Double
        switch node.kind {
        case .scalar(.int(let value)): number = Double(value)
        case .scalar(.double(let value)): number = value
        default:
            error("\(what) must be a number, not a \(node.kindName)", at: node.location)
            return nil
        }
        guard range.contains(number) else {
            error("\(what) must be between \(JSONWriter.format(range.lowerBound)) and \(JSONWriter.format(range.upperBound)), got \(JSONWriter.format(number))", at: node.location)
            return nil
        }
        return number
    }

    public func bool(_ key: String) -> Bool? {
        guard let node = node(key) else { return nil }
        guard case .scalar(.bool(let flag)) = node.kind else {
            error("'\(key)' must be true or false, not a \(node.kindName)", at: node.location)
            return nil
        }
        return flag
    }

    public func list(_ node: SourceNode, what: String) -> [SourceNode]? {
        guard case .sequence(let items) = node.kind else {
            error("\(what) must be a list, not a \(node.kindName)", at: node.location)
            return nil
        }
        return items
    }

    public func mapping(_ node: SourceNode, what: String) -> [SourceEntry]? {
        guard case .mapping(let entries) = node.kind else {
            error("\(what) must be a mapping, not a \(node.kindName)", at: node.location)
            return nil
        }
        return entries
    }

    /// Reads a mapping and reports keys outside `allowed`.
    public func mapping(_ node: SourceNode, what: String, allowed: [String]) -> [String: SourceNode]? {
        guard let entries = mapping(node, what: what) else { return nil }
        var result: [String: SourceNode] = [:]
        for entry in entries {
            if !allowed.contains(entry.key) {
                error("unknown key '\(entry.key)' in \(what); expected one of: \(allowed.joined(separator: ", "))", at: entry.keyLocation)
            }
            result[entry.key] = entry.value
        }
        return result
    }

    // MARK: Templates and references

    public func template(_ key: String, required: Bool = false) -> Template? {
        node(key, required: required).flatMap { template($0, what: "'\(key)'") }
    }

    public func template(_ node: SourceNode, what: String) -> Template? {
        let text: String
        switch node.kind {
        case .scalar(.string(let string)): text = string
        case .scalar(.int), .scalar(.double), .scalar(.bool): text = node.value.text
        case .scalar(.null): text = ""
        default:
            error("\(what) must be text (a template), not a \(node.kindName)", at: node.location)
            return nil
        }
        do {
            let template = try Template(text)
            for reference in template.references {
                reads.append(NodeRead(path: reference.path, location: node.location, inSection: reference.inSection))
            }
            return template
        } catch {
            let position = error.position == .start ? "" : " (template line \(error.position.line), column \(error.position.column))"
            self.error("template syntax error in \(what): \(error.message)\(position)", at: node.location)
            return nil
        }
    }

    /// Structured data whose strings are templates.
    public func valueTemplate(_ node: SourceNode, what: String) -> ValueTemplate? {
        switch node.kind {
        case .scalar(.string):
            return template(node, what: what).map(ValueTemplate.template)
        case .scalar(let value):
            return .literal(value)
        case .sequence(let items):
            var result: [ValueTemplate] = []
            for (position, item) in items.enumerated() {
                guard let value = valueTemplate(item, what: "\(what)[\(position)]") else { return nil }
                result.append(value)
            }
            return .array(result)
        case .mapping(let entries):
            var result: [String: ValueTemplate] = [:]
            for entry in entries {
                guard let value = valueTemplate(entry.value, what: "\(what).\(entry.key)") else { return nil }
                result[entry.key] = value
            }
            return .object(result)
        }
    }

    /// A variable named directly: `inputs.ticket`, `{{ inputs.ticket }}`, `{{#start.ticket#}}`, or Dify's
    /// selector list `[start, ticket]`.
    public func reference(_ node: SourceNode, what: String) -> VariablePath? {
        var path: VariablePath?
        switch node.kind {
        case .scalar(.string(let raw)):
            var text = raw.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("{{"), text.hasSuffix("}}") {
                text = String(text.dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces)
                if text.hasPrefix("#"), text.hasSuffix("#"), text.count > 2 { text = String(text.dropFirst().dropLast()) }
            }
            path = VariablePath(parsing: text)
        case .sequence(let items):
            let segments = items.compactMap { item -> String? in
                if case .scalar(let value) = item.kind, value.typeName == "string" || value.typeName == "number" { return value.text }
                return nil
            }
            if segments.count == items.count, !segments.isEmpty, let parsed = VariablePath(parsing: segments.joined(separator: ".")) {
                path = parsed
            }
        default:
            break
        }
        guard let path else {
            error("\(what) must name a variable such as inputs.ticket or node_id.output", at: node.location)
            return nil
        }
        reads.append(NodeRead(path: path, location: node.location, inSection: false))
        return path
    }

    /// A variable the node writes: checked, once the graph is known, to be a declared conversation variable or a
    /// variable of a loop the node is inside.
    public func target(_ node: SourceNode, what: String) -> VariablePath? {
        guard let path = reference(node, what: what) else { return nil }
        reads[reads.count - 1].writes = true
        return path
    }

    /// Takes back the reads `matching` decides: names a node checks itself because they live in its inner graph.
    public func forgetReads(where matching: (VariablePath) -> Bool) {
        reads.removeAll { matching($0.path) }
    }

    // MARK: Edges

    /// Declares edges from this node through `handle` to the node id (or list of ids) written at `node`.
    public func edges(to node: SourceNode, handle: String) {
        let targets: [SourceNode]
        if case .sequence(let items) = node.kind { targets = items } else { targets = [node] }
        for target in targets {
            guard case .scalar(.string(let id)) = target.kind else {
                error("an edge target must be a node id, not a \(target.kindName)", at: target.location)
                continue
            }
            edges.append(EdgeDraft(from: nodeId, to: id, handle: handle, location: target.location))
        }
    }

    /// Loads the node list under `key` as an inner graph, in which `innerOutputs` of this node are visible.
    public func innerGraph(_ key: String, innerOutputs: [String]) -> InnerGraph? {
        guard let node = node(key, required: true) else { return nil }
        guard let graph = session.loadInnerGraph(node, owner: nodeId, innerOutputs: innerOutputs) else {
            errorCount += 1
            return nil
        }
        return InnerGraph(graph: graph, innerOutputs: innerOutputs)
    }
}

/// An edge as written, before ids are resolved to nodes.
struct EdgeDraft {
    var from: String
    var to: String
    var handle: String
    var location: SourceLocation
}
