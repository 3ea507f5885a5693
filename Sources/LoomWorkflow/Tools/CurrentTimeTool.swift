import Foundation

/// The current date and time in a time zone, as ISO 8601, Unix seconds, or a pattern.
public struct CurrentTimeTool: Tool {
    public let name = "current_time"
    public let description = "The current date and time."
    public let parameters = [
        ToolParameter("timezone", .string, required: false, description: "An IANA time zone such as Europe/Paris; UTC when absent."),
        ToolParameter("format", .string, required: false, description: "iso8601 (default), unix, or a date pattern such as yyyy-MM-dd HH:mm."),
    ]

    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    public func call(_ arguments: [String: Value]) async throws -> Value {
        let zoneName = arguments["timezone"]?.stringValue ?? "UTC"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ToolError.invalidArgument("timezone", "'\(zoneName)' is not a known time zone")
        }
        let date = now()
        switch arguments["format"]?.stringValue ?? "iso8601" {
        case "unix":
            return .int(Int(date.timeIntervalSince1970))
        case "iso8601":
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = zone
            return .string(formatter.string(from: date))
        case let pattern:
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = pattern
            return .string(formatter.string(from: date))
        }
    }
}
