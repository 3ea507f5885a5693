/// What changed between two versions of a workflow: nodes added, removed and changed (by id), other settings
/// changed, and the line-by-line difference of the sources as written.
public struct WorkflowDiff: Sendable {
    public var addedNodes: [String]
    public var removedNodes: [String]
    public var changedNodes: [String]
    /// Top-level keys other than `nodes` whose values differ.
    public var changedSettings: [String]
    public var lines: [DiffLine]

    public var isEmpty: Bool { addedNodes.isEmpty && removedNodes.isEmpty && changedNodes.isEmpty && changedSettings.isEmpty }

    /// Compares two documents (as `Workflow.document` holds them) and their sources.
    public init(old: Value, new: Value, oldSource: String, newSource: String) {
        let oldNodes = Self.nodes(of: old)
        let newNodes = Self.nodes(of: new)
        addedNodes = newNodes.keys.filter { oldNodes[$0] == nil }.sorted()
        removedNodes = oldNodes.keys.filter { newNodes[$0] == nil }.sorted()
        changedNodes = newNodes.keys.filter { oldNodes[$0] != nil && oldNodes[$0] != newNodes[$0] }.sorted()
        let oldFields = old.objectValue ?? [:]
        let newFields = new.objectValue ?? [:]
        changedSettings = Set(oldFields.keys).union(newFields.keys).filter { $0 != "nodes" && oldFields[$0] != newFields[$0] }.sorted()
        lines = LineDiff.compare(oldSource, newSource)
    }

    private static func nodes(of document: Value) -> [String: Value] {
        var nodes: [String: Value] = [:]
        for node in document[path: ["nodes"]]?.arrayValue ?? [] {
            if let id = node[path: ["id"]] { nodes[id.text] = node }
        }
        return nodes
    }

    /// The changed lines with up to `context` unchanged lines around them, in the unified-diff style.
    public func unified(context: Int = 2) -> String {
        var keep = Array(repeating: false, count: lines.count)
        for (index, line) in lines.enumerated() where line.kind != .same {
            for near in max(0, index - context)...min(lines.count - 1, index + context) { keep[near] = true }
        }
        var out: [String] = []
        var skipped = false
        for (index, line) in lines.enumerated() {
            guard keep[index] else {
                skipped = true
                continue
            }
            if skipped, !out.isEmpty { out.append("…") }
            skipped = false
            let mark: String
            switch line.kind {
            case .same: mark = " "
            case .removed: mark = "-"
            case .added: mark = "+"
            }
            out.append(mark + line.text)
        }
        return out.joined(separator: "\n")
    }
}

public struct DiffLine: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case same, removed, added
    }

    public var kind: Kind
    public var text: String
}

/// A longest-common-subsequence line diff; inputs too large for its table are reported as replaced whole.
enum LineDiff {
    static let maximumCells = 4_000_000

    static func compare(_ old: String, _ new: String) -> [DiffLine] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard a.count * b.count <= maximumCells else {
            return a.map { DiffLine(kind: .removed, text: $0) } + b.map { DiffLine(kind: .added, text: $0) }
        }
        // lengths[i][j]: the LCS length of a[i...] and b[j...].
        let width = b.count + 1
        var lengths = [Int32](repeating: 0, count: (a.count + 1) * width)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lengths[i * width + j] = a[i] == b[j]
                    ? lengths[(i + 1) * width + j + 1] + 1 : max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
            }
        }
        var result: [DiffLine] = []
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                result.append(DiffLine(kind: .same, text: a[i]))
                i += 1
                j += 1
            } else if i < a.count, j == b.count || lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                result.append(DiffLine(kind: .removed, text: a[i]))
                i += 1
            } else {
                result.append(DiffLine(kind: .added, text: b[j]))
                j += 1
            }
        }
        return result
    }
}
