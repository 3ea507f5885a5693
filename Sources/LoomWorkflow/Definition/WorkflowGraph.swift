/// A node as the engine runs it: its id and type, its behaviour, and the policy around it.
public struct NodeSpec: Sendable {
    public let id: String
    public let type: String
    public let title: String?
    public let behavior: any WorkflowNode
    public let policy: NodePolicy
    public let location: SourceLocation
    /// Every variable the node's templates and references read, for load-time checks.
    public let reads: [NodeRead]

    /// Pure nodes without retries or a timeout run in the scheduler's own task: they never wait.
    public var runsInline: Bool {
        Swift.type(of: behavior).runsInstantly && policy.retry == nil && policy.timeout == nil
    }
}

/// A variable a node reads, and where the reading is written.
public struct NodeRead: Sendable {
    public var path: VariablePath
    public var location: SourceLocation
    /// True when the name may be relative to a Mustache section's item.
    public var inSection: Bool
    /// True when the node writes the variable (an assigner's target) rather than reading it.
    public var writes = false
}

public struct Edge: Sendable, Hashable {
    public var from: Int
    public var to: Int
    public var handle: String
}

/// Nodes and the edges between them, with the adjacency the scheduler walks.
public struct WorkflowGraph: Sendable {
    public let nodes: [NodeSpec]
    public let edges: [Edge]
    public let incoming: [[Int]]
    public let outgoing: [[Int]]
    /// Nodes nothing points to: they start the run.
    public let roots: [Int]
    public let indexById: [String: Int]

    /// Every node runs inline: a run of this graph never suspends, so it finishes within the task that starts it.
    public var runsInline: Bool { nodes.allSatisfy(\.runsInline) }

    public init(nodes: [NodeSpec], edges: [Edge]) {
        self.nodes = nodes
        self.edges = edges
        var incoming = Array(repeating: [Int](), count: nodes.count)
        var outgoing = Array(repeating: [Int](), count: nodes.count)
        for (index, edge) in edges.enumerated() {
            incoming[edge.to].append(index)
            outgoing[edge.from].append(index)
        }
        self.incoming = incoming
        self.outgoing = outgoing
        self.roots = nodes.indices.filter { incoming[$0].isEmpty }
        var indexById: [String: Int] = [:]
        for (index, node) in nodes.enumerated() { indexById[node.id] = index }
        self.indexById = indexById
    }

    public func node(_ id: String) -> NodeSpec? {
        indexById[id].map { nodes[$0] }
    }
}
