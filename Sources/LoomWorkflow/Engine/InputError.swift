/// Inputs a run refuses, with what the caller must change.
public enum InputError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case unknown(String, declared: [String])
    case wrongType(String, expected: String, got: String)
    case tooLong(String, maxLength: Int, length: Int)
    case notAnOption(String, value: String, options: [String])

    public var description: String {
        switch self {
        case .missing(let name): return "input '\(name)' is required"
        case .unknown(let name, let declared):
            let list = declared.isEmpty ? "it declares no inputs" : "it declares: \(declared.joined(separator: ", "))"
            return "input '\(name)' is not declared by this workflow (\(list))"
        case .wrongType(let name, let expected, let got): return "input '\(name)' must be \(expected), got \(got)"
        case .tooLong(let name, let maxLength, let length):
            return "input '\(name)' is \(length) characters long; at most \(maxLength) are allowed"
        case .notAnOption(let name, let value, let options):
            return "input '\(name)' must be one of \(options.joined(separator: ", ")); got '\(value)'"
        }
    }
}
