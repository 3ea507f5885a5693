import Foundation

/// The readable text of an HTML page: scripts, styles and comments dropped, block elements turned into line
/// breaks, other tags removed, character references decoded, spaces collapsed.
public enum HTMLText {
    static let blockTags: Set<String> = [
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer", "h1", "h2", "h3", "h4",
        "h5", "h6", "pre", "blockquote", "hr", "dt", "dd", "title", "main", "nav",
    ]

    /// The text, and the page's `<title>` when it has one.
    public static func extract(_ html: String) -> (text: String, title: String?) {
        var output = ""
        var title: String?
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            output += decode(rest[..<open])
            rest = rest[open...]
            if rest.hasPrefix("<!--") {
                rest = rest.range(of: "-->").map { rest[$0.upperBound...] } ?? ""
                continue
            }
            guard let close = rest.firstIndex(of: ">") else { break }
            let tag = rest[rest.index(after: open)..<close]
            let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
            rest = rest[rest.index(after: close)...]
            if (name == "script" || name == "style" || name == "title") && !tag.hasPrefix("/") {
                let end = rest.range(of: "</\(name)", options: .caseInsensitive)
                if name == "title" { title = decode(end.map { rest[..<$0.lowerBound] } ?? rest).trimmingCharacters(in: .whitespacesAndNewlines) }
                rest = end.map { rest[$0.lowerBound...] } ?? ""
                continue
            }
            if blockTags.contains(name) { output += "\n" }
        }
        output += decode(rest)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        var paragraphs: [String] = []
        var blank = true
        for line in lines {
            if line.isEmpty {
                if !blank { paragraphs.append("") }
                blank = true
            } else {
                paragraphs.append(line)
                blank = false
            }
        }
        return (paragraphs.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines), title)
    }

    static let entities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–", "hellip": "…", "copy": "©",
    ]

    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var output = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            output += rest[..<amp]
            rest = rest[amp...]
            if let semicolon = rest.prefix(12).firstIndex(of: ";") {
                let name = rest[rest.index(after: amp)..<semicolon]
                var scalar: Unicode.Scalar?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if name.hasPrefix("#") {
                    scalar = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init)
                }
                if let replacement = scalar.map(String.init) ?? entities[String(name)] {
                    output += replacement
                    rest = rest[rest.index(after: semicolon)...]
                    continue
                }
            }
            output += "&"
            rest = rest.dropFirst()
        }
        return output + rest
    }
}
