/// Turns a fetched document's bytes into text, by its file name (extension) or media type: what the
/// document-extractor node needs and the engine cannot do without I/O (PDF goes through `pdftotext`).
public protocol DocumentTextExtractor: Sendable {
    func text(of bytes: [UInt8], fileName: String, mediaType: String?) async throws(DocumentExtractionError) -> String
}

public enum DocumentExtractionError: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupported(fileName: String, reason: String)
    case unreadable(fileName: String, reason: String)

    public var description: String {
        switch self {
        case .unsupported(let fileName, let reason): return "\(fileName): \(reason)"
        case .unreadable(let fileName, let reason): return "\(fileName) cannot be read: \(reason)"
        }
    }
}
