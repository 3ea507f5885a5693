import Foundation

/// A file in a fresh temporary directory, removed by the caller's `defer`.
enum Scratch {
    static func file(_ name: String, _ contents: some DataProtocol) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-knowledge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(contents).write(to: url)
        return url.path
    }

    static func file(_ name: String, text: String) throws -> String {
        try file(name, Data(text.utf8))
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
