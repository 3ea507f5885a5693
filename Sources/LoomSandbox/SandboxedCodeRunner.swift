import Foundation
import LoomWorkflow
import Synchronization

/// Runs code nodes' programs in a bubblewrap sandbox, one process tree per run. When no sandbox can be made
/// (bubblewrap missing, user namespaces disabled), programs are refused with the reason, unless the operator
/// allowed unsandboxed code.
public final class SandboxedCodeRunner: CodeRunner {
    public struct Configuration: Sendable {
        public var limits = SandboxLimits()
        /// Runs code without a sandbox when none can be made; for trusted workflows only.
        public var allowUnsandboxed = false
        public var bubblewrap = "/usr/bin/bwrap"
        public var interpreters: [CodeLanguage: String] = [:]

        public init() {}

        /// `LOOM_CODE_UNSANDBOXED=1`, `LOOM_CODE_PYTHON`, `LOOM_CODE_NODE`, `LOOM_CODE_BWRAP` and the limits.
        public static func from(environment: [String: String]) -> Configuration {
            var configuration = Configuration()
            configuration.limits = .from(environment: environment)
            configuration.allowUnsandboxed = environment["LOOM_CODE_UNSANDBOXED"] == "1"
            configuration.bubblewrap = environment["LOOM_CODE_BWRAP"] ?? configuration.bubblewrap
            let candidates: [(CodeLanguage, String?, [String])] = [
                (.python3, environment["LOOM_CODE_PYTHON"], ["/usr/bin/python3", "/usr/local/bin/python3"]),
                (.javascript, environment["LOOM_CODE_NODE"], ["/usr/bin/node", "/usr/local/bin/node"]),
            ]
            for (language, chosen, defaults) in candidates {
                configuration.interpreters[language] = chosen ?? defaults.first { FileManager.default.isExecutableFile(atPath: $0) }
            }
            return configuration
        }
    }

    private let configuration: Configuration
    /// The probe's answer: nil until first needed.
    private let isolation = Mutex<Result<CodeLauncher.Isolation, CodeRunError>?>(nil)
    /// Process-wide, so that runners in one process never hand out the same user at once.
    private static let runs = Atomic<UInt32>(0)
    /// Users 200000–299999 have no files and no other processes on a normal system.
    static let firstSandboxUser: uid_t = 200_000

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func run(_ program: CodeProgram) async throws(CodeRunError) -> Value {
        let user = Self.nextUser()
        let launcher = CodeLauncher(
            isolation: try await sandbox().get(), limits: configuration.limits, interpreters: configuration.interpreters, sandboxUser: user)
        let command = try launcher.command(for: program.language)
        let input = JSONWriter.bytes(["code": .string(program.code), "inputs": .object(program.inputs)])
        let outcome: ProcessOutcome
        do {
            outcome = try await ProcessOutcome.run(command, input: input, outputLimit: configuration.limits.outputBytes, timeout: configuration.limits.wallTime,
                user: getuid() == 0 ? user : nil)
        } catch is CancellationError {
            throw .stopped
        } catch {
            throw .unavailable("could not start the code's process: \(error)")
        }
        return try interpret(outcome, language: program.language)
    }

    private static func nextUser() -> uid_t {
        firstSandboxUser + runs.add(1, ordering: .relaxed).oldValue % 100_000
    }

    /// Whether a sandbox can be made here, and if not why. Concurrent first runs may each probe; all agree.
    func sandbox() async -> Result<CodeLauncher.Isolation, CodeRunError> {
        if let known = isolation.withLock({ $0 }) { return known }
        let answer = await probe()
        // A probe cut short by a stopped run says nothing about the machine: ask again next time.
        if Task.isCancelled { return .failure(.stopped) }
        isolation.withLock { $0 = answer }
        return answer
    }

    private func probe() async -> Result<CodeLauncher.Isolation, CodeRunError> {
        let fallback = { (reason: String) -> Result<CodeLauncher.Isolation, CodeRunError> in
            self.configuration.allowUnsandboxed
                ? .success(.none)
                : .failure(
                    .unavailable(
                        "code cannot run: the sandbox cannot be created (\(reason)); install bubblewrap and allow unprivileged user namespaces, or set LOOM_CODE_UNSANDBOXED=1 to run code without a sandbox (trusted workflows only)"
                    ))
        }
        guard FileManager.default.isExecutableFile(atPath: configuration.bubblewrap) else { return fallback("\(configuration.bubblewrap) is not installed") }
        // The probe runs as programs will (their user, their limits, their namespaces): a sandbox that only root can
        // make is no sandbox for them.
        let isolation = CodeLauncher.Isolation.bubblewrap(path: configuration.bubblewrap)
        let launcher = CodeLauncher(isolation: isolation, limits: configuration.limits, interpreters: [:], sandboxUser: Self.nextUser())
        let outcome: ProcessOutcome
        do {
            outcome = try await ProcessOutcome.run(
                launcher.command(running: ["/usr/bin/true"], capAddressSpace: true), input: [], outputLimit: 4096, timeout: .seconds(10),
                user: getuid() == 0 ? launcher.sandboxUser : nil)
        } catch {
            return fallback("bubblewrap does not start: \(error)")
        }
        guard case .exit(0) = outcome.ending else {
            let message = String(decoding: outcome.errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return fallback("bubblewrap: \(message.isEmpty ? "\(outcome.ending)" : message)")
        }
        return .success(isolation)
    }

    private func interpret(_ outcome: ProcessOutcome, language: CodeLanguage) throws(CodeRunError) -> Value {
        let limits = configuration.limits
        switch outcome.ending {
        case .timedOut: throw .timedOut(seconds: limits.wallTime.seconds)
        case .outputTooLarge: throw .outputTooLarge(limit: limits.outputBytes)
        case .signal(let signal) where signal == SIGXCPU || signal == SIGKILL: throw .cpuLimit(seconds: limits.cpuSeconds)
        case .signal(let signal): throw .failed("the code was killed by signal \(signal)")
        // bubblewrap reports its child's death by SIGKILL or SIGXCPU (the CPU limit) as 128 + the signal.
        case .exit(128 + SIGKILL), .exit(128 + SIGXCPU): throw .cpuLimit(seconds: limits.cpuSeconds)
        case .exit(let status):
            let errors = String(decoding: outcome.errors, as: UTF8.self)
            if errors.contains("MemoryError") || errors.contains("heap out of memory") || errors.contains("Cannot allocate memory") {
                throw .memoryLimit(megabytes: limits.memoryMegabytes)
            }
            guard status == 0 else {
                let lines = errors.split(separator: "\n").suffix(6).joined(separator: "\n")
                throw .failed(lines.isEmpty ? "the code exited with status \(status)" : lines)
            }
            do {
                return try JSONDocumentReader.parse(String(decoding: outcome.output, as: UTF8.self)).value
            } catch {
                throw .badResult("main's result could not be read as JSON: \(error.message)")
            }
        }
    }
}
