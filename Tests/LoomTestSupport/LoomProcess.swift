import Foundation
import Synchronization

/// Runs programs — the built `loom` executable as a user would, or the project's scripts — without blocking a Swift
/// concurrency thread while they run.
public enum LoomProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `loom` binary next to the test bundle (`swift build --build-tests` builds both).
    public static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("loom")
    }

    public static func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) async throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(executable.path) is missing: run `swift build --build-tests` first"])
        }
        return try await run(executable, arguments, environment: environment, directory: directory)
    }

    /// Runs `program` (a path relative to the repository root, or absolute) to completion, in `directory` (default:
    /// the repository root).
    public static func run(_ program: URL, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = directory.map { URL(fileURLWithPath: $0) } ?? root
        var processEnvironment = ProcessInfo.processInfo.environment
        processEnvironment["LOOM_MODELS"] = nil
        process.environment = processEnvironment.merging(environment) { _, new in new }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        return try await withCheckedThrowingContinuation { continuation in
            let group = DispatchGroup()
            let output = Mutex<(stdout: Data, stderr: Data)>((Data(), Data()))
            group.enter()
            DispatchQueue.global().async {
                let data = out.fileHandleForReading.readDataToEndOfFile()
                output.withLock { $0.stdout = data }
                group.leave()
            }
            group.enter()
            DispatchQueue.global().async {
                let data = err.fileHandleForReading.readDataToEndOfFile()
                output.withLock { $0.stderr = data }
                group.leave()
            }
            group.enter()
            process.terminationHandler = { _ in group.leave() }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            group.notify(queue: .global()) {
                let (stdout, stderr) = output.withLock { $0 }
                continuation.resume(returning: Result(
                    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self)))
            }
        }
    }

    /// A scratch file holding `text`, removed by the caller.
    public static func scratchFile(_ name: String, _ text: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}
