/// Finds llm outputs that an answer node shows first, so their tokens can stream to the client while the
/// model generates them instead of arriving when the answer node runs.
enum StreamPlanner {
    static func routes(for graph: WorkflowGraph) -> [String: StreamRoute] {
        var routes: [String: StreamRoute] = [:]
        for (index, spec) in graph.nodes.enumerated() {
            guard let answer = spec.behavior as? AnswerNode, let lead = answer.template.leadingReference,
                graph.incoming[index].count == 1
            else { continue }
            let edge = graph.edges[graph.incoming[index][0]]
            let source = graph.nodes[edge.from]
            guard edge.handle == EdgeHandle.source, source.behavior is LLMNode, lead.path.root == source.id,
                lead.path.segments.count == 2, lead.path.segments[1] == "text", routes[source.id] == nil
            else { continue }
            routes[source.id] = StreamRoute(answerNode: spec.id, output: "text", prefix: lead.prefix)
        }
        return routes
    }
}
