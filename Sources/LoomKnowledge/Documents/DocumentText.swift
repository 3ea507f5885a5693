import Foundation
import LoomWorkflow

/// The text of one fetched document for the document-extractor node: PDF through `pdftotext`, HTML without its
/// markup, any other UTF-8 text (plain, Markdown, CSV, JSON, YAML…) as it is. Binary formats other than PDF are
/// refused with the reason.
public struct DocumentText: DocumentTextExtractor {
    public var reader: DocumentReader

    public init(reader: DocumentReader = DocumentReader()) {
        self.reader = reader
    }

    public func text(of bytes: [UInt8], fileName: String, mediaType: String?) async throws(DocumentExtractionError) -> String {
        let fileExtension = (fileName as NSString).pathExtension.lowercased()
        let type = mediaType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if fileExtension == "pdf" || type == "application/pdf" {
            return try await pdf(bytes, fileName: fileName)
        }
        guard !bytes.contains(0), let text = String(bytes: bytes, encoding: .utf8) else {
            throw .unsupported(fileName: fileName, reason: "not UTF-8 text or PDF (\(type.isEmpty ? "unknown type" : type)); Loom reads text, Markdown, HTML, CSV, JSON and PDF documents")
        }
        if ["html", "htm"].contains(fileExtension) || type == "text/html" {
            return HTMLText.extract(text).text
        }
        return text
    }

    /// `pdftotext` blocks while it runs: on a thread of its own, not the caller's.
    private func pdf(_ bytes: [UInt8], fileName: String) async throws(DocumentExtractionError) -> String {
        let reader = self.reader
        let result: Result<String, DocumentExtractionError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-document-\(UUID().uuidString).pdf").path
                defer { try? FileManager.default.removeItem(atPath: path) }
                guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                    return continuation.resume(returning: .failure(.unreadable(fileName: fileName, reason: "no room for a temporary file")))
                }
                do {
                    continuation.resume(returning: .success(try reader.pdfText(path)))
                } catch {
                    continuation.resume(returning: .failure(.unreadable(fileName: fileName, reason: String(describing: error))))
                }
            }
        }
        return try result.get()
    }
}
