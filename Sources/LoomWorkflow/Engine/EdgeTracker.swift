/// Edge states of one graph run. A node is ready when none of its incoming edges is still unknown and at least
/// one was taken; when all were skipped it is skipped too, and the skip travels on. So a join runs exactly once,
/// after every branch into it has resolved.
struct EdgeTracker {
    enum State: UInt8 {
        case unknown, taken, skipped
    }

    private let graph: WorkflowGraph
    private var states: [State]
    private(set) var skippedNodes: [Int] = []

    init(graph: WorkflowGraph) {
        self.graph = graph
        self.states = Array(repeating: .unknown, count: graph.edges.count)
    }

    /// Marks the node's edges through `handle` taken and all others skipped; returns nodes that became ready.
    mutating func finish(_ node: Int, handle: String) -> [Int] {
        var ready: [Int] = []
        for edgeIndex in graph.outgoing[node] {
            states[edgeIndex] = graph.edges[edgeIndex].handle == handle ? .taken : .skipped
            settle(graph.edges[edgeIndex].to, into: &ready)
        }
        return ready
    }

    private mutating func settle(_ node: Int, into ready: inout [Int]) {
        var anyTaken = false
        for edgeIndex in graph.incoming[node] {
            switch states[edgeIndex] {
            case .unknown: return
            case .taken: anyTaken = true
            case .skipped: break
            }
        }
        if anyTaken {
            ready.append(node)
            return
        }
        skippedNodes.append(node)
        for edgeIndex in graph.outgoing[node] {
            states[edgeIndex] = .skipped
            settle(graph.edges[edgeIndex].to, into: &ready)
        }
    }
}
