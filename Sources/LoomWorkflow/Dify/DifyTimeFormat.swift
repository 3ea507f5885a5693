/// Dify's time tool takes Python `strftime` formats; Loom's `current_time` takes Unicode date patterns. The common
/// directives translate both ways; text between them is kept (quoted in patterns).
enum DifyTimeFormat {
    static let directives: [(strftime: String, pattern: String)] = [
        ("%Y", "yyyy"), ("%y", "yy"), ("%m", "MM"), ("%d", "dd"), ("%H", "HH"), ("%I", "hh"), ("%M", "mm"), ("%S", "ss"),
        ("%p", "a"), ("%B", "MMMM"), ("%b", "MMM"), ("%A", "EEEE"), ("%a", "EEE"), ("%j", "DDD"), ("%Z", "zzz"), ("%z", "Z"),
    ]

    /// A Loom pattern for a strftime format; nil when it uses a directive not in the table.
    static func pattern(fromStrftime format: String) -> String? {
        var pattern = ""
        var literal = ""
        var rest = Substring(format)
        func flush() {
            guard !literal.isEmpty else { return }
            pattern += literal.allSatisfy { !$0.isLetter } ? literal : "'" + literal.replacingOccurrences(of: "'", with: "''") + "'"
            literal = ""
        }
        while let first = rest.first {
            if first == "%" {
                let directive = String(rest.prefix(2))
                if directive == "%%" {
                    literal += "%"
                } else if let match = directives.first(where: { $0.strftime == directive }) {
                    flush()
                    pattern += match.pattern
                } else {
                    return nil
                }
                rest = rest.dropFirst(2)
            } else {
                literal.append(first)
                rest = rest.dropFirst()
            }
        }
        flush()
        return pattern
    }

    /// A strftime format for a Loom format (`iso8601`, `unix` or a pattern); nil when a field has no directive.
    static func strftime(fromLoom format: String) -> String? {
        switch format {
        case "iso8601": return "%Y-%m-%dT%H:%M:%S%z"
        case "unix": return "%s"
        default: break
        }
        var result = ""
        var rest = Substring(format)
        while let first = rest.first {
            if first == "'" {
                guard let end = rest.dropFirst().firstIndex(of: "'") else { return nil }
                result += rest[rest.index(after: rest.startIndex)..<end].replacingOccurrences(of: "%", with: "%%")
                rest = rest[rest.index(after: end)...]
            } else if first.isLetter {
                let run = rest.prefix { $0 == first }
                guard let match = directives.first(where: { $0.pattern == String(run) }) else { return nil }
                result += match.strftime
                rest = rest.dropFirst(run.count)
            } else {
                result += first == "%" ? "%%" : String(first)
                rest = rest.dropFirst()
            }
        }
        return result
    }
}
