extension DifyConversion {
    /// A Dify selector `[node, var, …]` as a Loom variable path: the legacy `[start, "sys.query"]` form becomes
    /// `sys.query`, and a grouped aggregator's `[id, group, output]` becomes `id.group`.
    func path(_ selector: Value?) -> String? {
        guard let items = selector?.arrayValue, !items.isEmpty else { return nil }
        return rewritten(items.map(\.text)).joined(separator: ".")
    }

    /// The selector as a template that reads exactly that variable (so its type is kept).
    func reference(_ selector: Value?) -> String? {
        path(selector).map { "{{#\($0)#}}" }
    }

    private func rewritten(_ segments: [String]) -> [String] {
        var segments = segments
        if segments.count >= 2, segments[1].hasPrefix("sys.") {
            segments = ["sys", String(segments[1].dropFirst(4))] + segments.dropFirst(2)
        }
        if segments.count >= 3, groupedAggregators.contains(segments[0]), segments[2] == "output" {
            segments.remove(at: 2)
        }
        // Dify's llm structured output is Loom's `structured`.
        if segments.count >= 2, segments[1] == "structured_output", nodes[segments[0]]?.type == "llm" { segments[1] = "structured" }
        return segments
    }

    /// Dify text with its `{{#node.var#}}` references rewritten as `path` does; `{{#context#}}` (an llm prompt's
    /// retrieved context) becomes `context` when given.
    func text(_ text: String, context: String? = nil) -> String {
        guard text.contains("{{#") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{#") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "#}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let inner = String(rest[open.upperBound..<close.lowerBound])
            if inner == "context" {
                result += context ?? ""
            } else if !inner.isEmpty, inner.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }) {
                result += "{{#" + rewritten(inner.split(separator: ".").map(String.init)).joined(separator: ".") + "#}}"
            } else {
                result += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}
