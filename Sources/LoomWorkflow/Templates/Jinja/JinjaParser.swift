import Foundation

/// Splits a template into text, `{{ }}` and `{% %}` and builds the node tree; expressions are read by
/// `JinjaExpressionParser`.
struct JinjaParser {
    private enum Segment {
        case text(String)
        case output(String, line: Int)
        case statement(String, line: Int)
    }

    private let segments: [Segment]
    private var position = 0

    init(_ source: String) throws(JinjaSyntaxError) {
        segments = try Self.split(Array(source))
    }

    mutating func parseDocument() throws(JinjaSyntaxError) -> [JinjaNode] {
        let (nodes, end) = try parseBlock(until: [])
        if let end { throw JinjaSyntaxError(message: "'\(end.keyword)' without an opening block", line: end.line) }
        return nodes
    }

    private struct BlockEnd {
        var keyword: String
        var rest: String
        var line: Int
    }

    /// Nodes up to one of `terminators` (returned) or the end of the template (nil).
    private mutating func parseBlock(until terminators: Set<String>) throws(JinjaSyntaxError) -> ([JinjaNode], BlockEnd?) {
        var nodes: [JinjaNode] = []
        while position < segments.count {
            let segment = segments[position]
            position += 1
            switch segment {
            case .text(let text):
                nodes.append(.text(text))
            case .output(let source, let line):
                nodes.append(.output(try JinjaExpressionParser.parse(source, line: line)))
            case .statement(let source, let line):
                let trimmed = source.trimmingCharacters(in: .whitespacesAndNewlines)
                let keyword = String(trimmed.prefix { $0.isLetter || $0 == "_" })
                let rest = String(trimmed.dropFirst(keyword.count)).trimmingCharacters(in: .whitespaces)
                if terminators.contains(keyword) { return (nodes, BlockEnd(keyword: keyword, rest: rest, line: line)) }
                switch keyword {
                case "if": nodes.append(try parseIf(rest, line: line))
                case "for": nodes.append(try parseFor(rest, line: line))
                case "set":
                    guard let equals = rest.firstIndex(of: "=") else { throw JinjaSyntaxError(message: "'set' needs 'name = value'", line: line) }
                    let name = rest[..<equals].trimmingCharacters(in: .whitespaces)
                    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                        throw JinjaSyntaxError(message: "'set' assigns one name", line: line)
                    }
                    nodes.append(.assign(name, try JinjaExpressionParser.parse(String(rest[rest.index(after: equals)...]), line: line)))
                case "endif", "endfor", "elif", "else":
                    throw JinjaSyntaxError(message: "'\(keyword)' without an opening block", line: line)
                default:
                    throw JinjaSyntaxError(message: "the '\(keyword)' statement is not supported (supported: if, for, set)", line: line)
                }
            }
        }
        if !terminators.isEmpty {
            throw JinjaSyntaxError(message: "missing \(terminators.sorted().map { "'\($0)'" }.joined(separator: " or "))", line: Self.lastLine(segments))
        }
        return (nodes, nil)
    }

    private mutating func parseIf(_ condition: String, line: Int) throws(JinjaSyntaxError) -> JinjaNode {
        var branches: [(JinjaExpression, [JinjaNode])] = []
        var current = try JinjaExpressionParser.parse(condition, line: line)
        while true {
            let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
            branches.append((current, body))
            guard let end else { throw JinjaSyntaxError(message: "missing 'endif'", line: line) }
            switch end.keyword {
            case "elif":
                current = try JinjaExpressionParser.parse(end.rest, line: end.line)
            case "else":
                let (otherwise, close) = try parseBlock(until: ["endif"])
                guard close != nil else { throw JinjaSyntaxError(message: "missing 'endif'", line: line) }
                return .conditional(branches, otherwise: otherwise)
            default:
                return .conditional(branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor(_ header: String, line: Int) throws(JinjaSyntaxError) -> JinjaNode {
        guard let inRange = header.range(of: " in ") else { throw JinjaSyntaxError(message: "'for' needs 'name in sequence'", line: line) }
        let names = header[..<inRange.lowerBound].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "()"))) }
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw JinjaSyntaxError(message: "'for' loops over names such as 'item' or 'key, value'", line: line)
        }
        let sequence = try JinjaExpressionParser.parse(String(header[inRange.upperBound...]), line: line)
        let (body, end) = try parseBlock(until: ["else", "endfor"])
        guard let end else { throw JinjaSyntaxError(message: "missing 'endfor'", line: line) }
        var otherwise: [JinjaNode] = []
        if end.keyword == "else" {
            let (elseBody, close) = try parseBlock(until: ["endfor"])
            guard close != nil else { throw JinjaSyntaxError(message: "missing 'endfor'", line: line) }
            otherwise = elseBody
        }
        return .loop(names: names, sequence: sequence, body: body, otherwise: otherwise)
    }

    private static func lastLine(_ segments: [Segment]) -> Int {
        for segment in segments.reversed() {
            switch segment {
            case .output(_, let line), .statement(_, let line): return line
            case .text: continue
            }
        }
        return 1
    }

    /// Text and tags, with `{%-`/`-%}` (and `{{-`/`-}}`) trimming the whitespace beside them.
    private static func split(_ characters: [Character]) throws(JinjaSyntaxError) -> [Segment] {
        var segments: [Segment] = []
        var text = ""
        var index = 0
        var line = 1
        var trimNext = false
        while index < characters.count {
            let character = characters[index]
            guard character == "{", index + 1 < characters.count, ["{", "%", "#"].contains(characters[index + 1]) else {
                if trimNext, character.isWhitespace {
                    if character.isNewline { line += 1 }
                    index += 1
                    continue
                }
                trimNext = false
                if character.isNewline { line += 1 }
                text.append(character)
                index += 1
                continue
            }
            trimNext = false
            let kind = characters[index + 1]
            let close: Character = kind == "{" ? "}" : kind
            var start = index + 2
            if start < characters.count, characters[start] == "-" {
                while text.last?.isWhitespace == true { text.removeLast() }
                start += 1
            }
            var end = start
            while end + 1 < characters.count, !(characters[end] == close && characters[end + 1] == "}") { end += 1 }
            guard end + 1 < characters.count else {
                throw JinjaSyntaxError(message: "unclosed '{\(kind)' (no matching '\(close)}')", line: line)
            }
            var contentEnd = end
            if contentEnd > start, characters[contentEnd - 1] == "-" {
                contentEnd -= 1
                trimNext = true
            }
            if !text.isEmpty { segments.append(.text(text)) }
            text = ""
            let content = String(characters[start..<contentEnd])
            switch kind {
            case "{": segments.append(.output(content, line: line))
            case "%": segments.append(.statement(content, line: line))
            default: break
            }
            line += content.filter(\.isNewline).count
            index = end + 2
        }
        if !text.isEmpty { segments.append(.text(text)) }
        return segments
    }
}
