import ArgumentParser
import Foundation
import LoomStore

/// `DATABASE_URL` and the migrations directory, for `loom serve` and `loom migrate`.
enum DatabaseEnvironment {
    static func configurationURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("DATABASE_URL is not set: point it at PostgreSQL (postgres://user@host:5432/db), or run ./deploy/dev up, which starts one")
        }
        return url
    }

    /// The configured directory if it exists, else the `migrations` folder of the checkout the binary was built in.
    static func migrations(_ configured: String) -> String {
        if FileManager.default.fileExists(atPath: configured) { return configured }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("migrations")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("0001_initial.sql").path) { return candidate.path }
            directory.deleteLastPathComponent()
        }
        return configured
    }
}
