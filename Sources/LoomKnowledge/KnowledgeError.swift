/// What can go wrong reading documents and building or searching an index, said so a user can act on it.
public enum KnowledgeError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case unsupportedFormat(file: String, fileExtension: String)
    case empty(file: String)
    case binary(file: String)
    case missingColumn(file: String, line: Int, column: String)
    case malformedRow(file: String, line: Int, reason: String)
    case pdfTextUnavailable(file: String, reason: String)
    case dimensionMismatch(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot be read: \(reason)"
        case .unsupportedFormat(let file, let ext):
            "\(file): .\(ext) files are not supported; use .txt, .md, .html, .pdf, .jsonl or .csv"
        case .empty(let file): "\(file): the file has no text"
        case .binary(let file): "\(file): the file is binary, not text; convert it to .txt, .md, .html or .pdf first"
        case .missingColumn(let file, let line, let column): "\(file):\(line): no column '\(column)' in this row"
        case .malformedRow(let file, let line, let reason): "\(file):\(line): \(reason)"
        case .pdfTextUnavailable(let file, let reason): "\(file): no text could be taken from the PDF: \(reason)"
        case .dimensionMismatch(let expected, let got): "a vector of \(got) dimensions was given to an index of \(expected)"
        }
    }
}
