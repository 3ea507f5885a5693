import Foundation
import LoomWorkflow

/// Reads files into `SourceDocument`s by their extension: plain text (streamed), Markdown (sections by heading),
/// HTML (text only), PDF (through `pdftotext`), and JSONL and CSV with one document per row — the chosen
/// columns as text, the rest as metadata.
public struct DocumentReader: Sendable {
    /// JSONL fields or CSV columns whose values, joined, are a row's text.
    public var textColumns: [String]
    /// The `pdftotext` program (Debian's poppler-utils).
    public var pdftotext: String

    public init(textColumns: [String] = ["text"], pdftotext: String = "pdftotext") {
        self.textColumns = textColumns
        self.pdftotext = pdftotext
    }

    public static let extensions = ["txt", "text", "md", "markdown", "html", "htm", "pdf", "jsonl", "csv"]

    /// The documents in one file. `name` is the document's name in the dataset (default: the file's name).
    public func read(_ path: String, name: String? = nil) throws(KnowledgeError) -> [SourceDocument] {
        let name = name ?? (path as NSString).lastPathComponent
        let fileExtension = (path as NSString).pathExtension.lowercased()
        guard Self.extensions.contains(fileExtension) else { throw .unsupportedFormat(file: path, fileExtension: fileExtension) }
        if fileExtension == "pdf" {
            return [SourceDocument(name: name, text: try pdfText(path))]
        }
        try Self.checkIsText(path)
        if fileExtension == "txt" || fileExtension == "text" {
            return [SourceDocument(name: name, content: .textFile(path: path))]
        }
        let text = try Self.contents(path)
        switch fileExtension {
        case "md", "markdown":
            return [SourceDocument.markdown(name: name, text: text)]
        case "html", "htm":
            let (body, title) = HTMLText.extract(text)
            guard !body.isEmpty else { throw .empty(file: path) }
            return [SourceDocument(name: name, text: body, metadata: title.map { ["title": .string($0)] } ?? [:])]
        case "jsonl":
            return try jsonLines(text, path: path, name: name)
        default:
            return try csvRows(text, path: path, name: name)
        }
    }

    /// Refuses empty files and files that are not UTF-8 text, judged by their first 8 KB.
    static func checkIsText(_ path: String) throws(KnowledgeError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(file: path, reason: "no such file, or no permission") }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8192)) ?? Data()
        guard !head.isEmpty, head.contains(where: { !$0.isWhitespace }) else { throw .empty(file: path) }
        // A NUL byte, or bytes that are not UTF-8 once a character cut at the 8 KB mark is allowed for.
        if head.contains(0) || (String(data: head, encoding: .utf8) == nil && String(data: head.dropLast(3), encoding: .utf8) == nil) {
            throw .binary(file: path)
        }
    }

    static func contents(_ path: String) throws(KnowledgeError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "no such file, or no permission") }
        guard let text = String(data: data, encoding: .utf8) else { throw .binary(file: path) }
        return text
    }

    func pdfText(_ path: String) throws(KnowledgeError) -> String {
        guard FileManager.default.isReadableFile(atPath: path) else { throw .unreadable(file: path, reason: "no such file, or no permission") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [pdftotext, "-enc", "UTF-8", "-q", path, "-"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw .pdfTextUnavailable(file: path, reason: "\(pdftotext) could not be started (install poppler-utils)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = complaint.isEmpty ? "\(pdftotext) exited with status \(process.terminationStatus)" : complaint
            throw .pdfTextUnavailable(file: path, reason: reason.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw .pdfTextUnavailable(file: path, reason: "it has no text layer (a scanned PDF needs OCR first)") }
        return text
    }

    /// A row's document: its text columns joined by blank lines, its other columns as metadata.
    func row(_ fields: [String: Value], line: Int, path: String, name: String) throws(KnowledgeError) -> SourceDocument {
        var parts: [String] = []
        for column in textColumns {
            guard let value = fields[column] else { throw .missingColumn(file: path, line: line, column: column) }
            if let text = value.stringValue ?? (value.isNull ? nil : JSONWriter.string(value)), !text.isEmpty { parts.append(text) }
        }
        let metadata = fields.filter { !textColumns.contains($0.key) }
        return SourceDocument(name: "\(name)#\(line)", text: parts.joined(separator: "\n\n"), metadata: metadata)
    }

    func jsonLines(_ text: String, path: String, name: String) throws(KnowledgeError) -> [SourceDocument] {
        var documents: [SourceDocument] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let node: SourceNode
            do {
                node = try JSONDocumentReader.parse(String(line))
            } catch {
                throw .malformedRow(file: path, line: index + 1, reason: "not JSON: \(error)")
            }
            guard let fields = node.value.objectValue else { throw .malformedRow(file: path, line: index + 1, reason: "a row must be a JSON object") }
            documents.append(try row(fields, line: index + 1, path: path, name: name))
        }
        guard !documents.isEmpty else { throw .empty(file: path) }
        return documents
    }

    func csvRows(_ text: String, path: String, name: String) throws(KnowledgeError) -> [SourceDocument] {
        let table = try CSVTable(text, file: path)
        var documents: [SourceDocument] = []
        for (line, values) in table.rows {
            guard values.count <= table.columns.count else {
                throw .malformedRow(file: path, line: line, reason: "\(values.count) fields, but the header names \(table.columns.count) columns")
            }
            let fields = Dictionary(zip(table.columns, values.map(Value.string)), uniquingKeysWith: { first, _ in first })
            documents.append(try row(fields, line: line, path: path, name: name))
        }
        guard !documents.isEmpty else { throw .empty(file: path) }
        return documents
    }
}

extension UInt8 {
    fileprivate var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
