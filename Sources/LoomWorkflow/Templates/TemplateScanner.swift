import Foundation

/// Reads the tags of a template before Mustache does: finds every variable it reads (for load-time checks),
/// rewrites Dify's `{{#node.var#}}` into a Mustache variable, and makes every variable tag unescaped
/// (workflow text is not HTML).
struct TemplateScanner {
    struct Result {
        var mustacheSource: String
        var references: [TemplateReference]
        /// The one variable the whole template consists of, if that is all it is.
        var singleReference: VariablePath?
        /// The literal text before the first tag, when that tag is a plain variable.
        var leadingReference: LeadingReference?
        var hasTags: Bool
        /// The template as text and variables, when it has nothing else (no sections, transforms or relative
        /// names): such templates render without Mustache.
        var segments: [TemplateSegment]?
    }

    private enum Tag {
        case variable(String)
        case sectionOpen(String, inverted: Bool)
        case sectionClose(String)
        case comment
    }

    static func scan(_ source: String) throws(TemplateSyntaxError) -> Result {
        var output = ""
        var references: [TemplateReference] = []
        var sections: [(name: String, offset: Int)] = []
        var tagCount = 0
        var onlyTag: VariablePath?
        var leading: LeadingReference?
        var segments: [TemplateSegment]? = []
        var hasText = false
        let characters = Array(source)
        var index = 0
        var textStart = 0

        func fail(_ message: String, _ offset: Int) -> TemplateSyntaxError {
            TemplateSyntaxError(message: message, position: position(of: offset, in: characters))
        }

        while index < characters.count {
            guard characters[index] == "{", index + 1 < characters.count, characters[index + 1] == "{" else {
                index += 1
                continue
            }
            if index > textStart {
                segments?.append(.text(String(characters[textStart..<index])))
                output.append(contentsOf: characters[textStart..<index])
                if characters[textStart..<index].contains(where: { !$0.isWhitespace }) { hasText = true }
            }
            let tagStart = index
            let triple = index + 2 < characters.count && characters[index + 2] == "{"
            let closing: [Character] = triple ? ["}", "}", "}"] : ["}", "}"]
            let contentStart = index + (triple ? 3 : 2)
            guard let contentEnd = find(closing, in: characters, from: contentStart) else {
                throw fail("unclosed tag: '{{' without a matching '\(String(closing))'", tagStart)
            }
            let content = String(characters[contentStart..<contentEnd])
            index = contentEnd + closing.count
            textStart = index
            tagCount += 1

            let tag: Tag
            if triple {
                tag = .variable(content.trimmingCharacters(in: .whitespaces))
            } else {
                tag = try classify(content, offset: tagStart, fail: fail)
            }
            switch tag {
            case .comment:
                output.append(contentsOf: characters[tagStart..<index])
            case .variable(let name):
                let path = try referencedPath(name, offset: tagStart, fail: fail)
                if let path {
                    references.append(TemplateReference(path: path, inSection: !sections.isEmpty, position: position(of: tagStart, in: characters)))
                }
                onlyTag = path
                if let path, path.description == name { segments?.append(.variable(path)) } else { segments = nil }
                if tagCount == 1, let path { leading = LeadingReference(prefix: output, path: path) }
                output += "{{{\(name)}}}"
            case .sectionOpen(let name, let inverted):
                if let path = try referencedPath(name, offset: tagStart, fail: fail) {
                    references.append(TemplateReference(path: path, inSection: !sections.isEmpty, position: position(of: tagStart, in: characters)))
                }
                sections.append((name, tagStart))
                segments = nil
                output += inverted ? "{{^\(name)}}" : "{{#\(name)}}"
            case .sectionClose(let name):
                guard let open = sections.popLast() else {
                    throw fail("'{{/\(name)}}' closes a section that was never opened", tagStart)
                }
                guard open.name == name else {
                    throw fail("'{{/\(name)}}' closes section '\(open.name)', which must be closed first", tagStart)
                }
                output += "{{/\(name)}}"
            }
        }
        if textStart < characters.count {
            segments?.append(.text(String(characters[textStart...])))
            output.append(contentsOf: characters[textStart...])
            if characters[textStart...].contains(where: { !$0.isWhitespace }) { hasText = true }
        }
        if let open = sections.last {
            throw fail("section '{{#\(open.name)}}' is never closed with '{{/\(open.name)}}'", open.offset)
        }
        // Whitespace around a lone tag (a YAML block scalar's final newline) does not make it text.
        let single = (tagCount == 1 && !hasText) ? onlyTag : nil
        return Result(
            mustacheSource: output, references: references, singleReference: single, leadingReference: leading, hasTags: tagCount > 0,
            segments: segments)
    }

    private static func classify(
        _ content: String, offset: Int, fail: (String, Int) -> TemplateSyntaxError
    ) throws(TemplateSyntaxError) -> Tag {
        guard let first = content.first else { throw fail("empty tag '{{}}'", offset) }
        let rest = String(content.dropFirst()).trimmingCharacters(in: .whitespaces)
        switch first {
        case "#":
            // Dify's reference form: {{#node.var#}}
            if content.count > 2, content.last == "#" {
                let inner = String(content.dropFirst().dropLast())
                if VariablePath(parsing: inner) != nil, inner.contains(".") { return .variable(inner) }
            }
            guard !rest.isEmpty else { throw fail("a section needs a name: '{{#name}}'", offset) }
            return .sectionOpen(rest, inverted: false)
        case "^":
            guard !rest.isEmpty else { throw fail("an inverted section needs a name: '{{^name}}'", offset) }
            return .sectionOpen(rest, inverted: true)
        case "/":
            return .sectionClose(rest)
        case "!":
            return .comment
        case "&":
            return .variable(rest)
        case ">", "<", "$":
            throw fail("partials and blocks ('{{\(first)…}}') are not supported in workflow templates", offset)
        case "=":
            throw fail("changing delimiters ('{{=…=}}') is not supported in workflow templates", offset)
        case "%":
            throw fail("pragmas ('{{%…}}') are not supported in workflow templates", offset)
        default:
            return .variable(content.trimmingCharacters(in: .whitespaces))
        }
    }

    /// The pool path a tag reads; nil for the implicit iterator `.` and for names relative to the current item.
    private static func referencedPath(
        _ name: String, offset: Int, fail: (String, Int) -> TemplateSyntaxError
    ) throws(TemplateSyntaxError) -> VariablePath? {
        guard !name.isEmpty else { throw fail("empty tag '{{}}'", offset) }
        if name == "." || name.first == "." { return nil }
        var inner = Substring(name)
        // Mustache transforms: lowercased(name), reversed(list) …
        while let open = inner.firstIndex(of: "("), inner.last == ")" {
            inner = inner[inner.index(after: open)..<inner.index(before: inner.endIndex)]
        }
        if inner.isEmpty || inner == "." || inner.first == "." { return nil }
        guard let path = VariablePath(parsing: String(inner)) else {
            throw fail("'\(name)' is not a variable name (letters, digits, '_' and '-', joined by '.')", offset)
        }
        return path
    }

    private static func find(_ needle: [Character], in characters: [Character], from start: Int) -> Int? {
        var index = start
        while index + needle.count <= characters.count {
            if characters[index] == needle[0], Array(characters[index..<index + needle.count]) == needle {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func position(of offset: Int, in characters: [Character]) -> SourceLocation {
        var line = 1
        var column = 1
        for character in characters[..<min(offset, characters.count)] {
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourceLocation(line: line, column: column)
    }
}

/// A piece of a template without sections.
enum TemplateSegment: Sendable {
    case text(String)
    case variable(VariablePath)
}

/// A template that starts with literal text and then a variable.
public struct LeadingReference: Sendable, Hashable {
    public var prefix: String
    public var path: VariablePath
}

/// A variable a template reads, and where in the template.
public struct TemplateReference: Sendable, Hashable {
    public var path: VariablePath
    /// Inside a section a name may be relative to the section's item, so it is checked only when its root is
    /// a known node or namespace.
    public var inSection: Bool
    /// Line and column inside the template text.
    public var position: SourceLocation
}

public struct TemplateSyntaxError: Error, Sendable, Equatable {
    public var message: String
    /// Line and column inside the template text.
    public var position: SourceLocation
}
