import Foundation

/// Runs its inner graph once per item of a list, up to `parallel` items at a time. Inside, `ID.item` and
/// `ID.index` are the current item; `output` names the inner variable collected into the list `ID.output`.
public struct IterationNode: WorkflowNode {
    public static let typeName = "iteration"
    public static let configKeys = ["items", "nodes", "output", "parallel", "error_mode", "flatten"]

    public enum ErrorMode: String, Sendable, CaseIterable {
        /// The first failed item fails the iteration.
        case terminated
        /// A failed item contributes null.
        case continueOnError = "continue-on-error"
        /// A failed item is left out.
        case removeAbnormalOutput = "remove-abnormal-output"
    }

    public let items: VariablePath
    public let inner: InnerGraph
    public let output: VariablePath
    public let parallel: Int
    public let errorMode: ErrorMode
    public let flatten: Bool

    public static func decode(_ reader: NodeReader) -> IterationNode? {
        let items = reader.node("items", required: true).flatMap { reader.reference($0, what: "'items'") }
        let parallel = reader.integer("parallel", in: 1...64) ?? 1
        let flatten = reader.bool("flatten") ?? false
        var errorMode = ErrorMode.terminated
        if let name = reader.string("error_mode") {
            if let mode = ErrorMode(rawValue: name) {
                errorMode = mode
            } else {
                reader.error("unknown error_mode '\(name)'; use one of: \(ErrorMode.allCases.map(\.rawValue).joined(separator: ", "))", at: reader.node("error_mode")?.location)
            }
        }
        guard let inner = reader.innerGraph("nodes", innerOutputs: ["item", "index"]) else { return nil }
        guard let outputNode = reader.node("output", required: true) else { return nil }
        // `output` names a variable of the inner graph, which the outer checks cannot see: check it here.
        guard let text = reader.string(outputNode, what: "'output'"),
            let output = VariablePath(parsing: text.trimmingCharacters(in: CharacterSet(charactersIn: "{}# "))), output.segments.count >= 2
        else {
            reader.error("'output' must name an inner node's output, such as summarize.text", at: outputNode.location)
            return nil
        }
        guard let producer = inner.graph.node(output.root) else {
            reader.error("'output' reads '\(output)', but '\(output.root)' is not a node inside this iteration", at: outputNode.location)
            return nil
        }
        if let names = producer.behavior.outputNames, !names.contains(output.segments[1]) {
            reader.error("'output' reads '\(output)', but \(producer.type) node '\(producer.id)' has no output '\(output.segments[1])'", at: outputNode.location)
            return nil
        }
        guard let items else { return nil }
        return IterationNode(items: items, inner: inner, output: output, parallel: parallel, errorMode: errorMode, flatten: flatten)
    }

    private enum ItemOutcome: Sendable {
        case succeeded(Int, Value)
        case failed(Int, String)
        case stopped
    }

    public var outputNames: [String]? { ["output"] }
    public var innerGraph: InnerGraph? { inner }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        let list: [Value]
        switch context.pool.value(at: items) ?? .null {
        case .array(let values): list = values
        case .null: list = []
        case let other: throw NodeError.invalidValue("'items' (\(items)) must be a list, got \(other.typeName)")
        }
        guard list.count <= context.limits.maxIterationItems else {
            throw NodeError.invalidValue("\(list.count) items exceed the limit of \(context.limits.maxIterationItems) (limit max_iteration_items)")
        }
        context.emit(.iterationStarted(context.execution, count: list.count))
        var results = Array<Value?>(repeating: nil, count: list.count)
        var failure: String?
        await withTaskGroup(of: ItemOutcome.self) { group in
            var next = 0
            func start() {
                let index = next
                next += 1
                context.emit(.iterationNext(context.execution, index: index))
                group.addTask {
                    let outcome = await context.runInnerGraph(inner, scope: ["item": list[index], "index": .int(index)], index: index)
                    if outcome.stopped { return .stopped }
                    if let error = outcome.error { return .failed(index, error) }
                    return .succeeded(index, outcome.pool.value(at: output) ?? .null)
                }
            }
            while next < min(parallel, list.count) { start() }
            while let item = await group.next() {
                switch item {
                case .succeeded(let index, let value):
                    results[index] = value
                case .failed(let index, let error):
                    switch errorMode {
                    case .terminated:
                        if failure == nil { failure = "item \(index): \(error)" }
                        group.cancelAll()
                    case .continueOnError: results[index] = .null
                    case .removeAbnormalOutput: results[index] = nil
                    }
                case .stopped:
                    break
                }
                if failure == nil, !Task.isCancelled, next < list.count { start() }
            }
        }
        if failure == nil, Task.isCancelled { throw CancellationError() }
        context.emit(.iterationCompleted(context.execution, count: list.count, status: failure == nil ? .succeeded : .failed))
        if let failure { throw NodeError.failed(type: "iteration_failed", message: failure) }
        // Items removed under remove-abnormal-output are the nils.
        var collected = results.compactMap { $0 }
        if flatten, collected.allSatisfy({ $0.arrayValue != nil }) {
            collected = collected.flatMap { $0.arrayValue ?? [] }
        }
        return NodeResult(outputs: ["output": .array(collected)], inputs: ["items": .int(list.count)])
    }
}
