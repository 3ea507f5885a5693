import Mustache

/// A text field of a workflow: Mustache (sections, loops, inverted sections; nothing HTML-escaped), plus Dify's
/// `{{#node.var#}}`. Compiled once when the workflow loads.
public struct Template: Sendable {
    private enum Body: Sendable {
        case literal(String)
        /// Text and variables only: rendered directly, which is several times faster than through Mustache.
        case interpolation([TemplateSegment])
        case mustache(MustacheTemplate)
    }

    public let source: String
    public let references: [TemplateReference]
    /// Set when the template is exactly one variable tag: then `evaluate` yields that variable's own value
    /// (a number stays a number, a list a list) instead of its text.
    public let singleReference: VariablePath?
    /// Literal text and then a variable at the template's start: what can stream before the rest is known.
    public let leadingReference: LeadingReference?
    private let body: Body

    public init(_ source: String) throws(TemplateSyntaxError) {
        let scanned = try TemplateScanner.scan(source)
        self.source = source
        self.references = scanned.references
        self.singleReference = scanned.singleReference
        self.leadingReference = scanned.leadingReference
        if let segments = scanned.segments, scanned.hasTags {
            self.body = .interpolation(segments)
        } else if scanned.hasTags {
            do {
                self.body = .mustache(try MustacheTemplate(string: scanned.mustacheSource))
            } catch {
                throw TemplateSyntaxError(message: "invalid template: \(error)", position: .start)
            }
        } else {
            self.body = .literal(source)
        }
    }

    /// A template that is plain text.
    public init(literal text: String) {
        self.source = text
        self.references = []
        self.singleReference = nil
        self.leadingReference = nil
        self.body = .literal(text)
    }

    public var isLiteral: Bool {
        if case .literal = body { return true }
        return false
    }

    public func render(_ pool: VariablePool) -> String {
        switch body {
        case .literal(let text): return text
        case .interpolation(let segments):
            var text = ""
            for segment in segments {
                switch segment {
                case .text(let literal): text += literal
                case .variable(let path): text += pool.value(at: path)?.text ?? ""
                }
            }
            return text
        case .mustache(let template): return template.render(TemplateScope(pool: pool))
        }
    }

    /// The single referenced value as it is, or the rendered text.
    public func evaluate(_ pool: VariablePool) -> Value {
        if let path = singleReference { return pool.value(at: path) ?? .null }
        return .string(render(pool))
    }
}
