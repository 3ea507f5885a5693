/// Writes a Loom workflow as a Dify DSL (version 0.3.0, which Dify 1.x imports), so that an app can move back:
/// nodes and edges with their handles, templates as `{{#node.var#}}`, variables as selectors, nodes laid out left
/// to right. What Dify cannot express is reported node by node; nodes with no Dify equivalent are left out and
/// the edges through them joined.
public struct DifyExporter: Sendable {
    /// Reversed to name Dify's models and datasets: a Loom model `m` becomes the `provider/name` that maps to it.
    public var mapping: DifyMapping

    public static let dslVersion = "0.3.0"

    public init(mapping: DifyMapping = DifyMapping()) {
        self.mapping = mapping
    }

    public func export(_ workflow: Workflow) -> DifyExport {
        let session = DifyExportSession(workflow: workflow, mapping: mapping)
        let document = session.document()
        return DifyExport(document: document, notes: session.notes)
    }
}

/// A Dify DSL and what did not carry over.
public struct DifyExport: Sendable {
    public var document: Value
    public var notes: [DifyImportReport.Note]

    /// The DSL as YAML, keys sorted as Dify writes them.
    public var yaml: String {
        YAMLWriter().write(SourceBuilder(location: SourceLocation(line: 1, column: 1)).value(document), header: [])
    }
}
