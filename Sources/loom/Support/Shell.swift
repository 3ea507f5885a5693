import Foundation

/// Runs a program for the benchmarks and setup steps, returning what it printed.
enum Shell {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Programs that time themselves with SIGALRM (pgbench -T) or wait for SIGCHLD (cmake) need them delivered, but a child inherits this
    /// process's signal mask, where the concurrency runtime's threads block it: `withSignals` starts them through a
    /// small wrapper that clears the mask first.
    /// Runs on a Dispatch thread: waiting for a process must not hold a Swift concurrency thread, which in
    /// `loom bench http` also serves the server under test.
    @discardableResult
    static func run(_ arguments: [String], withSignals: Bool = false) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(arguments, withSignals: withSignals) })
            }
        }
    }

    private static func runBlocking(_ arguments: [String], withSignals: Bool) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let unblock = ["python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])"]
        process.arguments = withSignals ? unblock + arguments : arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) failed: \(text.suffix(400))")
        }
        return text
    }
}
