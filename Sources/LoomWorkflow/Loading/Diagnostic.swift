/// One problem found while loading a workflow: where it is and what is wrong.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var location: SourceLocation
    public var nodeId: String?
    public var message: String

    public init(file: String, location: SourceLocation, nodeId: String? = nil, message: String) {
        self.file = file
        self.location = location
        self.nodeId = nodeId
        self.message = message
    }

    /// `FILE:LINE:COLUMN: node 'ID': message` — the form editors and CI logs link to.
    public var description: String {
        let node = nodeId.map { "node '\($0)': " } ?? ""
        return "\(file):\(location.line):\(location.column): \(node)\(message)"
    }
}

/// A workflow that failed to load, with every problem found.
public struct WorkflowLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    /// Diagnostics in the order of the file.
    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.enumerated().sorted { left, right in
            let (a, b) = (left.element.location, right.element.location)
            return (a.line, a.column, left.offset) < (b.line, b.column, right.offset)
        }.map(\.element)
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics while a document is read, so one pass reports every problem.
final class DiagnosticLog {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    func add(_ message: String, at location: SourceLocation, node: String? = nil) {
        diagnostics.append(Diagnostic(file: file, location: location, nodeId: node, message: message))
    }

    var isEmpty: Bool { diagnostics.isEmpty }
}
