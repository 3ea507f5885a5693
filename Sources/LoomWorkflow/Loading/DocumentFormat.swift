/// Whether a document is YAML or JSON.
public enum DocumentFormat: Sendable {
    case yaml
    case json

    /// By file extension; otherwise JSON when the text starts with `{` (YAML accepts JSON too, but the JSON
    /// parser's errors are more precise for it).
    public static func detect(fileName: String, text: String) -> DocumentFormat {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".json") { return .json }
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") { return .yaml }
        return text.drop(while: \.isWhitespace).first == "{" ? .json : .yaml
    }

    public func parse(_ text: String) throws(DocumentSyntaxError) -> SourceNode {
        switch self {
        case .yaml: return try YAMLDocumentReader.parse(text)
        case .json: return try JSONDocumentReader.parse(text)
        }
    }
}
