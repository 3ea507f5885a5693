/// Maps a Dify DSL file (versions 0.1.0 to 0.6.0; app modes `workflow` and `advanced-chat`) onto a Loom workflow
/// document. What has no Loom equivalent becomes an `unsupported` node that fails when it runs, so the rest of the
/// app still loads; the report says what was mapped and what was not.
public struct DifyImporter: Sendable {
    public var mapping: DifyMapping
    /// Loom datasets that exist; nil when unknown, and then dataset ids are kept as names.
    public var knownDatasets: Set<String>?
    /// Models the models file configures; nil when unknown.
    public var modelNames: [String]?

    public init(mapping: DifyMapping = DifyMapping(), knownDatasets: Set<String>? = nil, modelNames: [String]? = nil) {
        self.mapping = mapping
        self.knownDatasets = knownDatasets
        self.modelNames = modelNames
    }

    /// Versions as numbers, so that 0.10.0 sorts after 0.6.0.
    static func isSupported(version: String) -> Bool {
        let parts = version.split(separator: ".").map { Int($0) ?? -1 }
        return parts.count == 3 && parts.lexicographicallyPrecedes([0, 6, 1]) && !parts.lexicographicallyPrecedes([0, 1, 0])
    }

    /// A Dify export: `kind: app` with an `app` section.
    public static func isDify(_ document: SourceNode) -> Bool {
        document["kind"]?.value.stringValue == "app" && document["app"] != nil
    }

    /// Parses and maps one file.
    public func importDocument(_ text: String, file: String) throws(WorkflowLoadError) -> DifyImport {
        let document: SourceNode
        do {
            document = try DocumentFormat.detect(fileName: file, text: text).parse(text)
        } catch {
            throw WorkflowLoadError(diagnostics: [Diagnostic(file: file, location: error.location, message: error.message)])
        }
        let log = DiagnosticLog(file: file)
        guard let result = convert(document, log: log), log.isEmpty else { throw WorkflowLoadError(diagnostics: log.diagnostics) }
        return result
    }

    func convert(_ document: SourceNode, log: DiagnosticLog) -> DifyImport? {
        guard Self.isDify(document) else {
            log.add("not a Dify DSL file: expected 'kind: app' and an 'app' section", at: document.location)
            return nil
        }
        let version = document["version"]?.value.text ?? "0.1.0"
        let app = document["app"]?.value.objectValue ?? [:]
        let mode = app["mode"]?.stringValue ?? ""
        guard mode == "workflow" || mode == "advanced-chat" else {
            log.add(
                "Dify app mode '\(mode)' has no workflow graph; Loom imports workflow and advanced-chat apps (in Dify, convert the app to a workflow first)",
                at: document["app"]?.location ?? document.location)
            return nil
        }
        guard let graph = document["workflow"]?["graph"] else {
            log.add("missing 'workflow.graph': a \(mode) app needs its graph", at: document.location)
            return nil
        }
        var report = DifyImportReport(difyVersion: version, mode: mode)
        if !Self.isSupported(version: version) {
            report.notes.append(.init(nodeId: nil, message: "DSL version \(version) is outside the versions Loom was checked against (0.1.0 to 0.6.0)"))
        }
        let conversion = DifyConversion(importer: self, log: log, report: report, chat: mode == "advanced-chat")
        guard let workflow = conversion.convert(graph: graph, envelope: document) else { return nil }
        return DifyImport(document: workflow, report: conversion.report)
    }
}

/// A Dify app mapped onto Loom's format.
public struct DifyImport: Sendable {
    /// A Loom workflow document, located in the Dify file.
    public var document: SourceNode
    public var report: DifyImportReport
}

extension DifyImport {
    /// Loom YAML for the app, with comments where a setting had no equivalent.
    public var yaml: String {
        var header = ["Imported from a Dify DSL (version \(report.difyVersion), mode \(report.mode)) by `loom import dify`."]
        header += report.notes.filter { $0.nodeId == nil }.map(\.message)
        let report = self.report
        let writer = YAMLWriter { item in
            guard let id = item["id"]?.value.stringValue, item["type"] != nil else { return [] }
            return report.comments(for: id)
        }
        return writer.write(document, header: header)
    }
}
