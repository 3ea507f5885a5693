import Foundation

/// What one program may use. Defaults follow Dify's sandbox: seconds of CPU, half a gigabyte, a few processes.
public struct SandboxLimits: Sendable {
    public var wallTime: Duration = .seconds(15)
    public var cpuSeconds = 10
    public var memoryMegabytes = 512
    public var processes = 32
    /// Largest file the program may write (in its private /tmp).
    public var fileMegabytes = 16
    /// Bytes of result (stdout) and of error output (stderr) kept; more stops the program.
    public var outputBytes = 1 << 20

    public init() {}

    /// `LOOM_CODE_TIMEOUT_S`, `LOOM_CODE_CPU_S`, `LOOM_CODE_MEMORY_MB`, `LOOM_CODE_PROCESSES`.
    public static func from(environment: [String: String]) -> SandboxLimits {
        var limits = SandboxLimits()
        if let seconds = environment["LOOM_CODE_TIMEOUT_S"].flatMap(Double.init), seconds > 0 { limits.wallTime = .milliseconds(Int(seconds * 1000)) }
        if let seconds = environment["LOOM_CODE_CPU_S"].flatMap(Int.init), seconds > 0 { limits.cpuSeconds = seconds }
        if let megabytes = environment["LOOM_CODE_MEMORY_MB"].flatMap(Int.init), megabytes > 0 { limits.memoryMegabytes = megabytes }
        if let count = environment["LOOM_CODE_PROCESSES"].flatMap(Int.init), count > 0 { limits.processes = count }
        return limits
    }
}
