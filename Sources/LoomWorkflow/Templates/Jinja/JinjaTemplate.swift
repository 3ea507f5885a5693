/// The Jinja2 subset that Dify's template-transform nodes use: `{{ expression }}` with filters, `{% if %}` /
/// `{% elif %}` / `{% else %}`, `{% for x in list %}` (with `loop.*` and `else`), `{% set %}`, `{# comments #}`
/// and `-` whitespace control. Compiled once; unsupported constructs are errors at load time.
public struct JinjaTemplate: Sendable {
    public let source: String
    let body: [JinjaNode]

    public init(_ source: String) throws(JinjaSyntaxError) {
        self.source = source
        // As Jinja2's default (keep_trailing_newline=False), one newline ending the template is not output.
        var parser = try JinjaParser(source.hasSuffix("\n") ? String(source.dropLast()) : source)
        self.body = try parser.parseDocument()
    }

    /// Renders with `variables` as the top-level names.
    public func render(_ variables: [String: Value]) throws(JinjaRenderError) -> String {
        var scope = JinjaScope(variables: variables)
        var output = ""
        try JinjaRenderer.render(body, scope: &scope, into: &output)
        return output
    }
}

indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpression)
    case conditional([(condition: JinjaExpression, body: [JinjaNode])], otherwise: [JinjaNode])
    case loop(names: [String], sequence: JinjaExpression, body: [JinjaNode], otherwise: [JinjaNode])
    case assign(String, JinjaExpression)
}

/// Names visible while rendering; loops push a frame.
struct JinjaScope {
    var frames: [[String: Value]]

    init(variables: [String: Value]) {
        frames = [variables]
    }

    func lookup(_ name: String) -> Value? {
        for frame in frames.reversed() { if let value = frame[name] { return value } }
        return nil
    }

    mutating func set(_ name: String, _ value: Value) {
        frames[frames.count - 1][name] = value
    }
}

enum JinjaRenderer {
    static func render(_ nodes: [JinjaNode], scope: inout JinjaScope, into output: inout String) throws(JinjaRenderError) {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .output(let expression):
                output += JinjaValue.text(try expression.evaluate(scope))
            case .conditional(let branches, let otherwise):
                var taken = false
                for branch in branches where JinjaValue.truthy(try branch.condition.evaluate(scope)) {
                    try render(branch.body, scope: &scope, into: &output)
                    taken = true
                    break
                }
                if !taken { try render(otherwise, scope: &scope, into: &output) }
            case .loop(let names, let sequence, let body, let otherwise):
                let items = try JinjaValue.iterate(try sequence.evaluate(scope))
                if items.isEmpty {
                    try render(otherwise, scope: &scope, into: &output)
                    continue
                }
                for (index, item) in items.enumerated() {
                    var frame: [String: Value] = [
                        "loop": [
                            "index": .int(index + 1), "index0": .int(index), "first": .bool(index == 0), "last": .bool(index == items.count - 1),
                            "length": .int(items.count), "revindex": .int(items.count - index), "revindex0": .int(items.count - index - 1),
                        ]
                    ]
                    if names.count == 1 {
                        frame[names[0]] = item
                    } else {
                        let parts = item.arrayValue ?? []
                        for (position, name) in names.enumerated() { frame[name] = position < parts.count ? parts[position] : .null }
                    }
                    scope.frames.append(frame)
                    defer { scope.frames.removeLast() }
                    try render(body, scope: &scope, into: &output)
                }
            case .assign(let name, let expression):
                scope.set(name, try expression.evaluate(scope) ?? .null)
            }
        }
    }
}
