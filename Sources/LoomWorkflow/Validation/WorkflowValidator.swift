/// Graph-level checks once every node has loaded: cycles, nesting depth, and that every variable a node reads
/// exists and comes from a node that must have run before it.
struct WorkflowValidator {
    let workflow: Workflow
    let log: DiagnosticLog
    /// Nodes already reported as broken; reading them is not a second problem.
    let failedIds: Set<String>

    /// A graph being checked, and for inner graphs the node that owns it in the enclosing graph.
    private struct Frame {
        var graph: WorkflowGraph
        var ancestors: [Set<Int>]
        var owner: Int?
    }

    func validate() {
        var owners: [String: String] = [:]
        collectOwners(workflow.graph, owner: nil, into: &owners)
        check(workflow.graph, chain: [], depth: 0, owners: owners)
    }

    private func collectOwners(_ graph: WorkflowGraph, owner: String?, into owners: inout [String: String]) {
        for spec in graph.nodes {
            if let owner { owners[spec.id] = owner }
            if let inner = spec.behavior.innerGraph { collectOwners(inner.graph, owner: spec.id, into: &owners) }
        }
    }

    private func check(_ graph: WorkflowGraph, chain: [Frame], depth: Int, owners: [String: String]) {
        guard let order = topologicalOrder(graph) else { return }
        var ancestors = Array(repeating: Set<Int>(), count: graph.nodes.count)
        for node in order {
            for edgeIndex in graph.incoming[node] {
                let from = graph.edges[edgeIndex].from
                ancestors[node].formUnion(ancestors[from])
                ancestors[node].insert(from)
            }
        }
        let frame = Frame(graph: graph, ancestors: ancestors, owner: nil)
        let owner = chain.last.flatMap { outer in outer.owner.map { outer.graph.nodes[$0] } }
        for (index, spec) in graph.nodes.enumerated() {
            if spec.behavior is LoopBreakNode, !(owner?.behavior is LoopNode) {
                log.add("a \(spec.type) node ends the loop it is in, so it must be directly inside a loop's nodes", at: spec.location, node: spec.id)
            }
            for read in spec.reads {
                if read.writes {
                    checkWrite(read, by: spec, chain: chain)
                } else {
                    checkRead(read, by: index, in: frame, chain: chain, owners: owners)
                }
            }
            if let inner = spec.behavior.innerGraph {
                if depth + 1 > workflow.limits.maxDepth {
                    log.add("iterations are nested deeper than \(workflow.limits.maxDepth) levels (limit max_depth)", at: spec.location, node: spec.id)
                    continue
                }
                var ownerFrame = frame
                ownerFrame.owner = index
                check(inner.graph, chain: chain + [ownerFrame], depth: depth + 1, owners: owners)
            }
        }
    }

    private func checkRead(_ read: NodeRead, by reader: Int, in frame: Frame, chain: [Frame], owners: [String: String]) {
        let path = read.path
        let spec = frame.graph.nodes[reader]
        let fail = { (message: String) in log.add(message, at: read.location, node: spec.id) }

        switch path.root {
        case VariableNamespace.inputs:
            guard let name = path.output else { return }
            if !workflow.inputs.contains(where: { $0.name == name }) {
                let declared = workflow.inputs.map(\.name)
                fail("reads 'inputs.\(name)', but the workflow declares no input '\(name)'" + (declared.isEmpty ? "" : " (declared: \(declared.joined(separator: ", ")))"))
            }
            return
        case VariableNamespace.sys:
            if let name = path.output, !VariableNamespace.systemVariables.contains(name) {
                fail("unknown system variable 'sys.\(name)'; known: \(VariableNamespace.systemVariables.sorted().joined(separator: ", "))")
            }
            return
        case VariableNamespace.env:
            if let name = path.output, !workflow.environment.contains(where: { $0.name == name }) {
                fail("reads 'env.\(name)', but the workflow declares no env variable '\(name)' (add it under 'env:')")
            }
            return
        case VariableNamespace.conversation:
            if workflow.mode != .chat {
                fail("conversation variables exist only in chat apps (mode: chat)")
            } else if let name = path.output, !workflow.conversationVariables.contains(where: { $0.name == name }) {
                fail("reads 'conversation.\(name)', but the workflow declares no conversation variable '\(name)' (add it under 'conversation_variables:')")
            }
            return
        default:
            break
        }

        if let target = frame.graph.indexById[path.root] {
            guard frame.ancestors[reader].contains(target) else {
                let why = target == reader ? "a node cannot read its own outputs" : "'\(path.root)' is not upstream of this node, so it cannot have run before it"
                fail("reads '\(path)', but \(why)")
                return
            }
            checkOutput(path, of: frame.graph.nodes[target], fail: fail)
            return
        }
        // Enclosing graphs, innermost first: the owning iteration's own inner outputs, or nodes upstream of it.
        for outer in chain.reversed() {
            guard let owner = outer.owner else { continue }
            let ownerSpec = outer.graph.nodes[owner]
            if path.root == ownerSpec.id {
                let inner = ownerSpec.behavior.innerGraph?.innerOutputs ?? []
                if let output = path.output, !inner.contains(output) {
                    fail("inside iteration '\(ownerSpec.id)' only \(inner.map { "\(ownerSpec.id).\($0)" }.joined(separator: " and ")) can be read from it")
                }
                return
            }
            if let target = outer.graph.indexById[path.root] {
                guard outer.ancestors[owner].contains(target) else {
                    fail("reads '\(path)', but '\(path.root)' is not upstream of iteration '\(ownerSpec.id)', so it cannot have run before this node")
                    return
                }
                checkOutput(path, of: outer.graph.nodes[target], fail: fail)
                return
            }
        }
        if failedIds.contains(path.root) { return }
        if let owner = owners[path.root] {
            fail("reads '\(path)', but '\(path.root)' runs inside iteration '\(owner)'; read '\(owner).output' after the iteration instead")
            return
        }
        if read.inSection { return }
        fail("reads '\(path)', but there is no node, input or namespace named '\(path.root)'")
    }

    /// A write must name a declared conversation variable or a variable of an enclosing loop, and nothing inside it.
    private func checkWrite(_ write: NodeRead, by spec: NodeSpec, chain: [Frame]) {
        let path = write.path
        let fail = { (message: String) in log.add(message, at: write.location, node: spec.id) }
        guard path.segments.count == 2, let name = path.output else {
            fail("'\(path)' cannot be assigned: name a whole variable, such as conversation.topics or LOOP_ID.count")
            return
        }
        if path.root == VariableNamespace.conversation {
            if !workflow.conversationVariables.contains(where: { $0.name == name }) {
                let declared = workflow.conversationVariables.map(\.name)
                fail("assigns 'conversation.\(name)', but the workflow declares no conversation variable '\(name)'"
                    + (declared.isEmpty ? " (declare it under 'conversation_variables:')" : " (declared: \(declared.joined(separator: ", ")))"))
            }
            return
        }
        for outer in chain.reversed() {
            guard let owner = outer.owner, outer.graph.nodes[owner].id == path.root else { continue }
            let writable = outer.graph.nodes[owner].behavior.innerGraph?.writableOutputs ?? []
            if !writable.contains(name) {
                fail("assigns '\(path)', but '\(path.root)' has no variable '\(name)' an assigner may write" + (writable.isEmpty ? "" : " (it has: \(writable.joined(separator: ", ")))"))
            }
            return
        }
        fail("assigns '\(path)': an assigner writes only conversation variables (conversation.NAME) and the variables of a loop it is inside (LOOP_ID.NAME)")
    }

    private func checkOutput(_ path: VariablePath, of target: NodeSpec, fail: (String) -> Void) {
        guard let output = path.output, var names = target.behavior.outputNames else { return }
        switch target.policy.onError {
        case .fail: break
        case .branch: names += ["error_message", "error_type"]
        case .defaultValue(let defaults): names += ["error_message", "error_type"] + defaults.keys
        }
        if !names.contains(output) {
            fail("reads '\(path)', but \(target.type) node '\(target.id)' has no output '\(output)' (it has: \(names.sorted().joined(separator: ", ")))")
        }
    }

    /// Kahn's order of the graph, or nil after reporting a cycle.
    private func topologicalOrder(_ graph: WorkflowGraph) -> [Int]? {
        var remaining = graph.incoming.map(\.count)
        var order = graph.roots
        var cursor = 0
        while cursor < order.count {
            for edgeIndex in graph.outgoing[order[cursor]] {
                let to = graph.edges[edgeIndex].to
                remaining[to] -= 1
                if remaining[to] == 0 { order.append(to) }
            }
            cursor += 1
        }
        guard order.count < graph.nodes.count else { return order }
        reportCycle(graph, among: Set(graph.nodes.indices).subtracting(order))
        return nil
    }

    private func reportCycle(_ graph: WorkflowGraph, among candidates: Set<Int>) {
        // Walk backwards along incoming edges inside the unresolved set until a node repeats: that is a cycle.
        var node = candidates.min()!
        var seen: [Int: Int] = [:]
        var walk: [Int] = []
        while seen[node] == nil {
            seen[node] = walk.count
            walk.append(node)
            node = graph.incoming[node].map { graph.edges[$0].from }.first { candidates.contains($0) }!
        }
        var cycle = Array(walk[seen[node]!...].reversed())
        // Start at the node written first, so the message does not depend on where the walk began.
        let first = cycle.indices.min { cycle[$0] < cycle[$1] }!
        cycle = Array(cycle[first...] + cycle[..<first])
        let names = (cycle + [cycle[0]]).map { graph.nodes[$0].id }.joined(separator: " → ")
        let head = graph.nodes[cycle[0]]
        log.add("the graph has a cycle: \(names); workflows must be acyclic (use an iteration to repeat work)", at: head.location, node: head.id)
    }
}
