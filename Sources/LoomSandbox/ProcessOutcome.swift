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
    /// The pipes are served by threads of their own: blocking reads on shared pools would stall every other run
    /// while one program sleeps.
    /// `user`: the user the program runs as, when it has that user to itself: every process of it is killed too.
    static func run(_ command: [String], input: [UInt8], outputLimit: Int, timeout: Duration, user: uid_t?) async throws -> ProcessOutcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        // A program started meanwhile for another run must not inherit these pipes: holding one open, it would keep
        // this run waiting for the end of its output until that other program ends.
        for pipe in [stdin, stdout, stderr] {
            for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] { _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC) }
        }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let exited = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        process.terminationHandler = { _ in exited.continuation.finish() }
        try process.run()
        let pid = process.processIdentifier
        let flags = Flags()
        let kill = { @Sendable in
            killTree(pid)
            if let user { killAll(of: user) }
        }
        Thread.detachNewThread {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        async let output = drain(stdout.fileHandleForReading, limit: outputLimit) {
            flags.overflow.store(true, ordering: .relaxed)
            kill()
        }
        async let errors = drain(stderr.fileHandleForReading, limit: 64 * 1024, onOverflow: nil)
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    flags.timedOut.store(true, ordering: .relaxed)
                    kill()
                }
                for await _ in exited.stream {}
                group.cancelAll()
            }
        } onCancel: {
            kill()
        }
        // Whatever outlived bubblewrap (a sandbox caught in its set-up) would hold the pipes open.
        if let user { killAll(of: user) }
        let (written, errorText) = await (output, errors)
        try Task.checkCancellation()
        let ending: Ending
        if flags.timedOut.load(ordering: .relaxed) {
            ending = .timedOut
        } else if flags.overflow.load(ordering: .relaxed) {
            ending = .outputTooLarge
        } else if process.terminationReason == .uncaughtSignal {
            ending = .signal(process.terminationStatus)
        } else {
            ending = .exit(process.terminationStatus)
        }
        return ProcessOutcome(ending: ending, output: written, errors: errorText)
    }

    /// Kills a process and everything below it. Killing bubblewrap alone is not enough: killed while it sets up,
    /// its sandbox child has no parent-death signal yet, waits for it forever and keeps our pipes open.
    static func killTree(_ root: pid_t) {
        for pid in ProcessTable.tree(of: root) { _ = Foundation.kill(pid, SIGKILL) }
    }

    /// Kills every process of `user`, a user only this run's program has.
    static func killAll(of user: uid_t) {
        for entry in ProcessTable.entries() where entry.user == user { _ = Foundation.kill(entry.pid, SIGKILL) }
    }

    /// Why the process was killed, set from the threads and tasks that watch it.
    private final class Flags: Sendable {
        let overflow = Atomic<Bool>(false)
        let timedOut = Atomic<Bool>(false)
    }

    /// Reads a pipe to its end on a thread of its own, keeping at most `limit` bytes.
    private static func drain(_ handle: FileHandle, limit: Int, onOverflow: (@Sendable () -> Void)?) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
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
