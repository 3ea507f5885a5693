/// A line and column in a source file, both counted from 1.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static let start = SourceLocation(line: 1, column: 1)

    public var description: String { "\(line):\(column)" }
}

/// A parsed YAML or JSON document that remembers where each part was written, so errors can point at it.
public struct SourceNode: Sendable {
    public enum Kind: Sendable {
        case scalar(Value)
        case mapping([SourceEntry])
        case sequence([SourceNode])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The plain value, locations dropped; for duplicate keys the last one wins.
    public var value: Value {
        switch kind {
        case .scalar(let value): return value
        case .sequence(let items): return .array(items.map(\.value))
        case .mapping(let entries):
            var fields: [String: Value] = [:]
            for entry in entries { fields[entry.key] = entry.value.value }
            return .object(fields)
        }
    }

    /// What kind of thing this is, for error messages.
    public var kindName: String {
        switch kind {
        case .scalar(let value): return value.typeName
        case .mapping: return "mapping"
        case .sequence: return "list"
        }
    }
}

public struct SourceEntry: Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: SourceNode
}

/// A document that could not be parsed at all.
public struct DocumentSyntaxError: Error, Sendable, Equatable {
    public var message: String
    public var location: SourceLocation
}
