import Logging
import Synchronization

/// Log lines, kept for a test to read: "LEVEL message". A value, like the handlers `loom` uses, so a copy of a logger
/// given its own level (as the store gives PostgresNIO's) does not change the original's; the lines are shared.
public struct LoggedLines: LogHandler {
    private final class Kept: Sendable {
        let lines = Mutex<[String]>([])
    }

    private let kept = Kept()
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    public init(level: Logger.Level = .trace) {
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public var lines: [String] { kept.lines.withLock { $0 } }

    public func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }

    public func log(event: LogEvent) {
        kept.lines.withLock { $0.append("\(event.level) \(event.message)") }
    }
}
