import Foundation

/// Fetches documents named by URL and outputs their text (Dify's document-extractor): `file` is a variable holding
/// a URL, a file object as Dify's API takes it (`{transfer_method: remote_url, url, …}`), or a list of those, in
/// which case `text` is a list too. Fetching follows the HTTP node's address policy; at most 10 MB a document.
public struct DocumentExtractorNode: WorkflowNode {
    public static let typeName = "document-extractor"
    public static let configKeys = ["file"]
    static let maxBytes = 10 << 20

    public let file: VariablePath

    public static func decode(_ reader: NodeReader) -> DocumentExtractorNode? {
        reader.node("file", required: true).flatMap { reader.reference($0, what: "'file'") }.map(DocumentExtractorNode.init)
    }

    public var outputNames: [String]? { ["text"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        guard let extractor = context.services.documents else {
            throw NodeError.serviceUnavailable("document-extractor nodes cannot run in this process: no document reader is configured")
        }
        let value = context.pool.value(at: file) ?? .null
        if case .array(let items) = value {
            var texts: [Value] = []
            for item in items { texts.append(.string(try await text(of: item, context, extractor))) }
            return NodeResult(outputs: ["text": .array(texts)], inputs: ["file": value])
        }
        return NodeResult(outputs: ["text": .string(try await text(of: value, context, extractor))], inputs: ["file": value])
    }

    private func text(of file: Value, _ context: NodeContext, _ extractor: any DocumentTextExtractor) async throws -> String {
        let fields = file.objectValue ?? [:]
        guard let url = file.stringValue ?? fields["url"]?.stringValue ?? fields["remote_url"]?.stringValue, !url.isEmpty else {
            throw NodeError.invalidValue(
                "'file' (\(self.file)) must be a URL or a file object with 'url' (Loom fetches documents; it keeps no uploaded files), got \(file.typeName)")
        }
        let request = HTTPRequestSpec(
            method: "GET", url: url, timeout: .seconds(60), maxResponseBytes: Self.maxBytes,
            allowPrivateNetworks: context.services.httpPolicy.allowPrivateNetworks)
        let response = try await context.services.requireHTTP().fetch(request)
        guard (200..<300).contains(response.status) else {
            throw NodeError.failed(type: "document_fetch_failed", message: "fetching \(url) answered HTTP \(response.status)")
        }
        let pathName = URL(string: url)?.lastPathComponent ?? ""
        let name = fields["filename"]?.stringValue ?? fields["name"]?.stringValue ?? (pathName.contains(".") ? pathName : "document")
        let mediaType = fields["mime_type"]?.stringValue ?? response.header("content-type")
        do {
            return try await extractor.text(of: response.body, fileName: name, mediaType: mediaType)
        } catch {
            throw NodeError.failed(type: "document_extraction_failed", message: error.description)
        }
    }
}
