/// A Mustache template as Jinja2 (Dify's template-transform): variables become Jinja2 variables, sections loops
/// over lists (or blocks shown once for other true values), inverted sections `if not` blocks; a tag alone on its
/// line takes the line with it, as in Mustache.
extension DifyExportSession {
    struct JinjaTranslation {
        var template = ""
        /// Jinja2 variable names and the Loom variables they read, in order of first use.
        var variables: [(name: String, path: VariablePath)] = []
    }

    func jinja(fromMustache source: String) -> JinjaTranslation {
        var result = JinjaTranslation()
        var names: [VariablePath: String] = [:]
        var sections: [(path: String, item: String?)] = []
        var rest = Substring(source)

        func variable(_ text: String) -> String {
            if text == "." { return sections.last(where: { $0.item != nil })?.item ?? "none" }
            guard let path = VariablePath(parsing: text) else { return "none" }
            let known = VariableNamespace.all.contains(path.root) || knownNodeIds.contains(path.root)
            if !known, let item = sections.last(where: { $0.item != nil })?.item { return ([item] + path.segments).joined(separator: ".") }
            let head = VariablePath(Array(path.segments.prefix(2)))
            if names[head] == nil {
                let name = "v\(names.count)_" + String(head.segments.joined(separator: "_").map { $0.isLetter || $0.isNumber ? $0 : "_" })
                names[head] = name
                result.variables.append((name, head))
            }
            return ([names[head]!] + path.segments.dropFirst(2)).joined(separator: ".")
        }

        /// Drops a block tag's line when the tag stands alone on it.
        func emitBlock(_ tag: String) {
            let lineStart = result.template.lastIndex(of: "\n").map { result.template.index(after: $0) } ?? result.template.startIndex
            let alone = result.template[lineStart...].allSatisfy { $0 == " " || $0 == "\t" } && (rest.isEmpty || rest.first == "\n" || rest.hasPrefix("\r\n"))
            if alone {
                result.template.removeSubrange(lineStart...)
                if rest.hasPrefix("\r\n") { rest = rest.dropFirst(2) } else if rest.first == "\n" { rest = rest.dropFirst() }
            }
            result.template += tag
        }

        while let open = rest.range(of: "{{") {
            result.template += rest[..<open.lowerBound]
            let triple = rest[open.upperBound...].hasPrefix("{")
            let contentStart = triple ? rest.index(after: open.upperBound) : open.upperBound
            guard let close = rest[contentStart...].range(of: triple ? "}}}" : "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let content = rest[contentStart..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            let sigil = content.first
            let name = content.dropFirst().trimmingCharacters(in: .whitespaces)
            if content.count > 2, content.hasPrefix("#"), content.hasSuffix("#") {
                result.template += "{{ \(variable(String(content.dropFirst().dropLast()))) }}"
            } else if sigil == "#" {
                let list = variable(name)
                let item = "item\(sections.count)"
                sections.append((name, item))
                emitBlock("{% for \(item) in (\(list) if \(list) is sequence and \(list) is not string else ([\(list)] if \(list) else [])) %}")
            } else if sigil == "^" {
                emitBlock("{% if not \(variable(name)) %}")
                sections.append((name, nil))
            } else if sigil == "/" {
                let section = sections.popLast()
                emitBlock(section?.item == nil ? "{% endif %}" : "{% endfor %}")
            } else if sigil == "!" {
                emitBlock("")
            } else {
                result.template += "{{ \(variable(sigil == "&" ? name : content)) }}"
            }
        }
        result.template += rest
        return result
    }
}
