import Foundation

/// A Python virtual environment the benchmarks make for a reference package, so nothing is installed by hand and
/// the system Python is left alone. Reused across runs once the package imports.
enum ScratchPython {
    /// The environment's interpreter, with `package` installed (`module` is what it imports as).
    static func prepare(_ venv: String, package: String, module: String, installNote: String = "") async throws -> String {
        let python = venv + "/bin/python"
        if !FileManager.default.fileExists(atPath: python) {
            try await Shell.run(["python3", "-m", "venv", venv])
        }
        if (try? await Shell.run([python, "-c", "import \(module)"])) == nil {
            print("installing \(package) into \(venv)\(installNote) …")
            // With signals: cmake (llama-cpp-python's build) waits for SIGCHLD from its children, and hangs for ever
            // when it inherits this process's mask that blocks it.
            try await Shell.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", package], withSignals: true)
        }
        return python
    }
}
