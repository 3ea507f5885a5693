import Foundation
import LoomKnowledge

/// A temporary folder for uploaded files being read into documents: each file is written under the name its
/// uploader gave it (the reader picks the format by extension), and problems name the file as the uploader did.
/// Plain text documents stream from their file while they are chunked, so the folder must outlive the import:
/// `remove()` it afterwards.
struct UploadScratch {
    /// Why an upload could not be read: the reader's message with the uploader's name for the file.
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-upload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// `file` is the uploaded file's name (its extension picks the reader), `document` the document's name in the
    /// dataset (default: `file`). `write` fills the file at the path it is given. With `plainText`, a file name
    /// without a known extension is read as text (documents given as text, named freely).
    func read(
        file name: String, document: String? = nil, columns: [String], plainText: Bool = false, write: (String) async throws -> Void
    ) async throws -> [SourceDocument] {
        // A folder per file, so two uploads with one name do not overwrite each other.
        let folder = directory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var file = (name as NSString).lastPathComponent
        if plainText, !DocumentReader.extensions.contains((file as NSString).pathExtension.lowercased()) { file += ".txt" }
        let path = folder.appendingPathComponent(file).path
        try await write(path)
        do {
            return try DocumentReader(textColumns: columns).read(path, name: document ?? name)
        } catch {
            throw Unreadable(description: error.description.replacingOccurrences(of: path, with: name))
        }
    }
}
