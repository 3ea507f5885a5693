extension DifyConversion {
    func httpRequest(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        var headers = pairs(node.data["headers"], builder)
        if let authorization = node.data["authorization"]?.objectValue, authorization["type"]?.stringValue == "api-key",
            let config = authorization["config"]?.objectValue
        {
            let key = text(config["api_key"]?.stringValue ?? "")
            switch config["type"]?.stringValue {
            case "basic": headers.append(("Authorization", builder.text("Basic \(key)")))
            case "custom": headers.append((config["header"]?.stringValue ?? "Authorization", builder.text(key)))
            default: headers.append(("Authorization", builder.text("Bearer \(key)")))
            }
        }
        var fields: [(String, SourceNode?)] = [
            ("method", builder.text((node.data["method"]?.stringValue ?? "get").uppercased())),
            ("url", builder.text(text(node.data["url"]?.stringValue ?? ""))),
        ]
        if !headers.isEmpty { fields.append(("headers", builder.mapping(headers))) }
        let query = pairs(node.data["params"], builder)
        if !query.isEmpty { fields.append(("query", builder.mapping(query))) }
        let body = node.data["body"]?.objectValue ?? [:]
        switch body["type"]?.stringValue ?? "none" {
        case "none": break
        case "json":
            fields.append(("body", builder.mapping([("raw", builder.text(bodyText(body["data"]))), ("content_type", builder.text("application/json"))])))
        case "raw-text":
            fields.append(("body", builder.mapping([("raw", builder.text(bodyText(body["data"])))])))
        case "x-www-form-urlencoded", "form-data":
            if body["type"]?.stringValue == "form-data" {
                report.notes.append(.init(nodeId: node.id, message: "form-data is sent as application/x-www-form-urlencoded (Loom sends no files)"))
            }
            fields.append(("body", builder.mapping([("form", builder.mapping(pairs(body["data"], builder)))])))
        case let other:
            return .unmapped("a \(other) request body (a file's bytes) is not something Loom's http-request node sends")
        }
        return .node(type: HTTPRequestNode.typeName, fields: fields)
    }

    /// Dify's `key:value` lines, or its list of `{key, value}`.
    private func pairs(_ value: Value?, _ builder: SourceBuilder) -> [(String, SourceNode?)] {
        switch value {
        case .string(let lines):
            return lines.split(whereSeparator: \.isNewline).compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces)
                return key.isEmpty ? nil : (key, builder.text(text(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))))
            }
        case .array(let items):
            return items.compactMap { item in
                guard let fields = item.objectValue, let key = fields["key"]?.stringValue, !key.isEmpty else { return nil }
                return (key, builder.text(text(fields["value"]?.text ?? "")))
            }
        default:
            return []
        }
    }

    private func bodyText(_ data: Value?) -> String {
        switch data {
        case .string(let raw): return text(raw)
        case .array(let items): return text(items.first?.objectValue?["value"]?.text ?? "")
        default: return ""
        }
    }
}
