import Foundation

/// Files a caller gives a run by URL — `sys.files` — as Dify's API takes them: `{type, transfer_method: remote_url,
/// url}`. Loom keeps no uploads, so `local_file` ones are refused with what to send instead.
public enum GivenFiles {
    public static let types: Set<String> = ["image", "document", "audio", "video", "custom"]
    public static let maxCount = 20

    /// A list of file objects (absent or null: none), each checked and completed with `filename` and `extension`.
    public static func parse(_ value: Value?) throws(GivenFileError) -> [Value] {
        let items: [Value]
        switch value {
        case nil, .null?: return []
        case .array(let list)?: items = list
        case let other?: throw GivenFileError("'files' must be a list of file objects, got \(other.typeName)")
        }
        guard items.count <= maxCount else { throw GivenFileError("'files' holds \(items.count) files; at most \(maxCount) are taken") }
        var files: [Value] = []
        for (index, item) in items.enumerated() {
            let place = "files[\(index)]"
            guard let fields = item.objectValue else { throw GivenFileError("\(place) must be an object {type, transfer_method, url}, got \(item.typeName)") }
            let method = fields["transfer_method"]?.stringValue ?? "remote_url"
            guard method == "remote_url" else {
                throw GivenFileError(
                    "\(place): transfer_method '\(method)' is not taken; Loom keeps no uploaded files, so give each file as {type, transfer_method: remote_url, url}")
            }
            do {
                files.append(try file(type: fields["type"]?.stringValue ?? "", url: fields["url"]?.stringValue ?? ""))
            } catch {
                throw GivenFileError("\(place): \(error.message)")
            }
        }
        return files
    }

    /// One file by its type and URL.
    public static func file(type: String, url: String) throws(GivenFileError) -> Value {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? "") else {
            throw GivenFileError("'url' must be an http or https URL, got '\(url.prefix(80))'")
        }
        guard types.contains(type) else { throw GivenFileError("'type' must be one of \(types.sorted().joined(separator: ", ")), got '\(type)'") }
        let name = parsed.lastPathComponent.isEmpty || parsed.lastPathComponent == "/" ? "file" : parsed.lastPathComponent
        let suffix = (name as NSString).pathExtension
        return [
            "type": .string(type), "transfer_method": "remote_url", "url": .string(url), "remote_url": .string(url), "filename": .string(name),
            "extension": suffix.isEmpty ? .null : .string("." + suffix.lowercased()),
        ]
    }
}

public struct GivenFileError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
