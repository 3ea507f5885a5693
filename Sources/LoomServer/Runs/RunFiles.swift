import Foundation
import LoomWorkflow

/// The `files` of a run or chat request, as Dify's Service API takes them: `{type, transfer_method: remote_url, url}`
/// objects, which become `sys.files`. Loom keeps no uploads, so `local_file` ones are refused with what to send instead.
enum RunFiles {
    static let types: Set<String> = ["image", "document", "audio", "video", "custom"]
    static let maxCount = 20

    static func parse(_ body: [String: Value]) throws -> [Value] {
        let items: [Value]
        switch body["files"] {
        case nil, .null?: return []
        case .array(let list)?: items = list
        case let other?: throw APIError.invalidParam("'files' must be a list of file objects, got \(other.typeName)")
        }
        guard items.count <= maxCount else { throw APIError.invalidParam("'files' holds \(items.count) files; at most \(maxCount) are taken") }
        return try items.enumerated().map { index, item in try file(item, at: index) }
    }

    private static func file(_ item: Value, at index: Int) throws -> Value {
        let place = "files[\(index)]"
        guard let fields = item.objectValue else { throw APIError.invalidParam("\(place) must be an object {type, transfer_method, url}, got \(item.typeName)") }
        let method = fields["transfer_method"]?.stringValue ?? "remote_url"
        guard method == "remote_url" else {
            throw APIError.invalidParam(
                "\(place): transfer_method '\(method)' is not taken; Loom keeps no uploaded files, so give each file as {type, transfer_method: remote_url, url}")
        }
        guard let url = fields["url"]?.stringValue, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? "") else {
            throw APIError.invalidParam("\(place): 'url' must be an http or https URL")
        }
        let type = fields["type"]?.stringValue ?? ""
        guard types.contains(type) else {
            throw APIError.invalidParam("\(place): 'type' must be one of \(types.sorted().joined(separator: ", ")), got '\(type)'")
        }
        let name = parsed.lastPathComponent.isEmpty || parsed.lastPathComponent == "/" ? "file" : parsed.lastPathComponent
        let suffix = (name as NSString).pathExtension
        return [
            "type": .string(type), "transfer_method": "remote_url", "url": .string(url), "remote_url": .string(url), "filename": .string(name),
            "extension": suffix.isEmpty ? .null : .string("." + suffix.lowercased()),
        ]
    }
}
