import Foundation

/// A PostgreSQL cluster of one test's own (through deploy/postgres), for tests that stop and start the database.
public struct PrivateCluster: Sendable {
    public let directory: String
    public let url: String

    static var script: URL { LoomProcess.root.appendingPathComponent("deploy/postgres") }

    public static func create() async throws -> PrivateCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cluster-\(UUID().uuidString.prefix(8))").path
        try await control("init", directory)
        let url = try await control("url", directory).trimmingCharacters(in: .whitespacesAndNewlines)
        return PrivateCluster(directory: directory, url: url)
    }

    public func stop() async throws { try await Self.control("stop", directory) }
    public func start() async throws { try await Self.control("start", directory) }

    public func destroy() async {
        _ = try? await Self.control("stop", directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    static func control(_ command: String, _ directory: String) async throws -> String {
        let result = try await LoomProcess.run(script, [command, directory])
        guard result.status == 0 else { throw ClusterError(description: "deploy/postgres \(command) failed: \(result.stderr)") }
        return result.stdout
    }

    struct ClusterError: Error, CustomStringConvertible {
        var description: String
    }
}
