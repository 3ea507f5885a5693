import Yams

/// Parses YAML through libyaml (Yams) into a `SourceNode`, keeping each node's line and column.
public enum YAMLDocumentReader {
    public static func parse(_ text: String) throws(DocumentSyntaxError) -> SourceNode {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error)
        } catch {
            throw DocumentSyntaxError(message: "\(error)", location: .start)
        }
        guard let node else { throw DocumentSyntaxError(message: "the document is empty", location: .start) }
        return try convert(node)
    }

    private static func location(_ mark: Mark?) -> SourceLocation {
        guard let mark else { return .start }
        return SourceLocation(line: max(mark.line, 1), column: max(mark.column, 1))
    }

    private static func convert(_ node: Node) throws(DocumentSyntaxError) -> SourceNode {
        let at = location(node.mark)
        switch node {
        case .scalar(let scalar):
            return SourceNode(.scalar(scalarValue(node, scalar)), at: at)
        case .sequence(let sequence):
            var items: [SourceNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try convert(item)) }
            return SourceNode(.sequence(items), at: at)
        case .mapping(let mapping):
            var entries: [SourceEntry] = []
            entries.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw DocumentSyntaxError(message: "mapping keys must be plain text", location: location(key.mark))
                }
                entries.append(SourceEntry(key: keyScalar.string, keyLocation: location(key.mark), value: try convert(value)))
            }
            return SourceNode(.mapping(entries), at: at)
        case .alias:
            throw DocumentSyntaxError(message: "YAML aliases are not supported here", location: at)
        }
    }

    /// Types as YAML 1.2's core schema has them: only `true`/`false` are booleans (not `yes`, `no`, `on`),
    /// and timestamps stay text.
    private static func scalarValue(_ node: Node, _ scalar: Node.Scalar) -> Value {
        switch Tag.Name(rawValue: node.tag.rawValue) {
        case .null:
            return .null
        case .bool:
            switch scalar.string.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .string(scalar.string)
            }
        case .int:
            if let number = node.int { return .int(number) }
            return .string(scalar.string)
        case .float:
            if let number = node.float { return .double(number) }
            return .string(scalar.string)
        default:
            return .string(scalar.string)
        }
    }

    private static func syntaxError(_ error: YamlError) -> DocumentSyntaxError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let message = context.map { "\(problem) (\($0.text))" } ?? problem
            return DocumentSyntaxError(message: message, location: location(mark))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return DocumentSyntaxError(message: "duplicate key \(names) in one mapping", location: location(context.mark))
        case .reader(let problem, _, _, _):
            return DocumentSyntaxError(message: problem, location: .start)
        default:
            return DocumentSyntaxError(message: "\(error)", location: .start)
        }
    }
}
