/// A Jinja2 template Loom cannot compile: bad syntax, or a construct outside the supported subset.
public struct JinjaSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Line in the template, from 1.
    public var line: Int

    public var description: String { "line \(line): \(message)" }
}

/// A Jinja2 template that failed while rendering (a filter given the wrong kind of value, say).
public struct JinjaRenderError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public var description: String { message }
}
