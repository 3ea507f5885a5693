/// Writes a document as readable YAML in its own key order: plain scalars where YAML reads them back the same,
/// block literals for multi-line text, double quotes otherwise; comments above list items that ask for them.
struct YAMLWriter {
    /// Comment lines to put above an item of a list (a node, for instance).
    var comments: (SourceNode) -> [String] = { _ in [] }

    func write(_ node: SourceNode, header: [String]) -> String {
        var output = header.map { "# \($0)\n" }.joined()
        if !header.isEmpty { output += "\n" }
        switch node.kind {
        case .mapping(let entries) where !entries.isEmpty: writeMapping(entries, indent: "", into: &output)
        default: output += inline(node) + "\n"
        }
        return output
    }

    private func writeMapping(_ entries: [SourceEntry], indent: String, into output: inout String) {
        for entry in entries {
            output += indent + Self.key(entry.key) + ":"
            writeValue(entry.value, indent: indent, into: &output)
        }
    }

    /// After `key:` or `- `: the value on the same line, or nested below.
    private func writeValue(_ node: SourceNode, indent: String, into output: inout String) {
        switch node.kind {
        case .mapping(let entries) where !entries.isEmpty:
            output += "\n"
            writeMapping(entries, indent: indent + "  ", into: &output)
        case .sequence(let items) where !items.isEmpty:
            output += "\n"
            writeSequence(items, indent: indent + "  ", into: &output)
        case .scalar(.string(let text)) where Self.isBlock(text):
            let chomp = text.hasSuffix("\n\n") ? "+" : (text.hasSuffix("\n") ? "" : "-")
            output += " |\(chomp)\n"
            let body = chomp == "-" ? text : String(text.dropLast())
            for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
                output += line.isEmpty ? "\n" : indent + "  " + line + "\n"
            }
        default:
            output += " " + inline(node) + "\n"
        }
    }

    private func writeSequence(_ items: [SourceNode], indent: String, into output: inout String) {
        for item in items {
            for comment in comments(item) {
                for line in comment.split(separator: "\n") { output += indent + "# " + line + "\n" }
            }
            switch item.kind {
            case .mapping(let entries) where !entries.isEmpty:
                // The first key shares the dash's line; the rest line up under it.
                var first = ""
                writeMapping([entries[0]], indent: indent + "  ", into: &first)
                output += indent + "- " + first.dropFirst(indent.count + 2)
                writeMapping(Array(entries.dropFirst()), indent: indent + "  ", into: &output)
            case .sequence(let inner) where !inner.isEmpty:
                output += indent + "-\n"
                writeSequence(inner, indent: indent + "  ", into: &output)
            default:
                output += indent + "-"
                writeValue(item, indent: indent, into: &output)
            }
        }
    }

    private func inline(_ node: SourceNode) -> String {
        switch node.kind {
        case .mapping: return "{}"
        case .sequence: return "[]"
        case .scalar(.string(let text)): return Self.isPlain(text) ? text : Self.quoted(text)
        case .scalar(let value): return value.isNull ? "null" : JSONWriter.string(value)
        }
    }

    private static func key(_ key: String) -> String { isPlain(key) ? key : quoted(key) }

    /// Text YAML reads back as the same string without quotes.
    static func isPlain(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last, !first.isWhitespace, !last.isWhitespace else { return false }
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"]
        if reserved.contains(text.lowercased()) || Double(text) != nil || Int(text) != nil { return false }
        if text.hasPrefix("0x") || text.hasPrefix("0o") || text.hasPrefix(".") { return false }
        let allowed = { (character: Character) in
            character.isLetter || character.isNumber || " _-./()@+$%^=".contains(character) || (!character.isASCII && !character.isNewline)
        }
        let startsWell = first.isLetter || first.isNumber || first == "_" || first == "/" || !first.isASCII
        return text.allSatisfy(allowed) && startsWell && !text.contains(" #")
    }

    /// Multi-line text a block literal keeps exactly.
    static func isBlock(_ text: String) -> Bool {
        text.contains("\n") && !(text.first?.isWhitespace ?? true) && !text.contains("\r") && !text.contains("\t")
            && text.unicodeScalars.allSatisfy { $0 == "\n" || $0.value >= 0x20 } && !text.split(separator: "\n").contains { $0.last?.isWhitespace == true }
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
