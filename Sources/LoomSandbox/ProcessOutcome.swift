import Foundation
import LoomWorkflow
import Synchronization

/// One finished child process: how it ended and what it wrote (up to the limit).
struct ProcessOutcome: Sendable {
    enum Ending: Sendable {
        case exit(Int32)
        case signal(Int32)
        case timedOut
        case outputTooLarge
    }

    var ending: Ending
    var output: [UInt8]
    var errors: [UInt8]

    /// Runs `command`, feeding `input`; kills it on timeout, on too much output, or when the task is cancelled.
    /// Pipes are drained on their own threads so a chatty program cannot block on a full pipe.
    static func run(_ command: [String], input: [UInt8], outputLimit: Int, timeout: Duration) async throws -> ProcessOutcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in
            exited.continuation.yield()
            exited.continuation.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        let overflow = Atomic<Bool>(false)
        let kill = { @Sendable in _ = Foundation.kill(pid, SIGKILL) }
        async let output = drain(stdout.fileHandleForReading, limit: outputLimit) {
            overflow.store(true, ordering: .relaxed)
            kill()
        }
        async let errors = drain(stderr.fileHandleForReading, limit: 64 * 1024, onOverflow: nil)
        DispatchQueue.global().async {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        let timedOut = await withTaskCancellationHandler {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await _ in exited.stream {}
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return !Task.isCancelled
                }
                let first = await group.next() ?? false
                if first { kill() }
                group.cancelAll()
                return first
            }
        } onCancel: {
            kill()
        }
        process.waitUntilExit()
        let (written, errorText) = await (output, errors)
        let ending: Ending
        if timedOut {
            ending = .timedOut
        } else if overflow.load(ordering: .relaxed) {
            ending = .outputTooLarge
        } else if process.terminationReason == .uncaughtSignal {
            ending = .signal(process.terminationStatus)
        } else {
            ending = .exit(process.terminationStatus)
        }
        try Task.checkCancellation()
        return ProcessOutcome(ending: ending, output: written, errors: errorText)
    }

    /// Reads a pipe to its end on a dispatch thread, keeping at most `limit` bytes.
    private static func drain(_ handle: FileHandle, limit: Int, onOverflow: (@Sendable () -> Void)?) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var kept: [UInt8] = []
                var total = 0
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    if kept.count < limit { kept += chunk.prefix(limit - kept.count) }
                    total += chunk.count
                    if total > limit, let onOverflow, total - chunk.count <= limit { onOverflow() }
                }
                continuation.resume(returning: kept)
            }
        }
    }
}
