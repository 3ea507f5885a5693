import Foundation

/// Calls an HTTP API. Outputs `status_code`, `body` (text), `headers`, and `json` when the response is JSON.
/// A non-2xx status is an answer, not a failure; unreachable hosts, timeouts and blocked addresses are failures.
public struct HTTPRequestNode: WorkflowNode {
    public static let typeName = "http-request"
    public static let configKeys = ["method", "url", "headers", "query", "body"]

    public enum Body: Sendable {
        case json(ValueTemplate)
        case form([(String, Template)])
        case raw(Template, contentType: String)
    }

    static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    public let method: String
    public let url: Template
    public let headers: [(String, Template)]
    public let query: [(String, Template)]
    public let body: Body?

    public static func decode(_ reader: NodeReader) -> HTTPRequestNode? {
        let method = (reader.string("method") ?? "GET").uppercased()
        if !methods.contains(method) {
            reader.error("unknown HTTP method '\(method)'; use one of \(methods.joined(separator: ", "))", at: reader.node("method")?.location)
        }
        let url = reader.template("url", required: true)
        let headers = pairs("headers", reader)
        let query = pairs("query", reader)
        var body: Body?
        if let node = reader.node("body"), let entries = reader.mapping(node, what: "'body'") {
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            switch Set(fields.keys) {
            case ["json"]:
                body = reader.valueTemplate(fields["json"]!, what: "'body.json'").map(Body.json)
            case ["form"]:
                let form = reader.mapping(fields["form"]!, what: "'body.form'")?.compactMap { entry in
                    reader.template(entry.value, what: "form field '\(entry.key)'").map { (entry.key, $0) }
                }
                body = form.map(Body.form)
            case ["raw"], ["raw", "content_type"]:
                let contentType = fields["content_type"].flatMap { reader.string($0, what: "'body.content_type'") } ?? "text/plain; charset=utf-8"
                body = reader.template(fields["raw"]!, what: "'body.raw'").map { Body.raw($0, contentType: contentType) }
            default:
                reader.error("'body' must be {json: value}, {form: {name: value}} or {raw: text, content_type: type}", at: node.location)
            }
        }
        guard let url else { return nil }
        return HTTPRequestNode(method: method, url: url, headers: headers, query: query, body: body)
    }

    private static func pairs(_ key: String, _ reader: NodeReader) -> [(String, Template)] {
        guard let node = reader.node(key), let entries = reader.mapping(node, what: "'\(key)'") else { return [] }
        return entries.compactMap { entry in reader.template(entry.value, what: "\(key) '\(entry.key)'").map { (entry.key, $0) } }
    }

    public var outputNames: [String]? { ["status_code", "body", "headers", "json"] }

    public func run(_ context: NodeContext) async throws -> NodeResult {
        let fetcher = try context.services.requireHTTP()
        let policy = context.services.httpPolicy
        let pool = context.pool
        let address = try targetURL(pool)
        if !policy.allowPrivateNetworks, let host = address.host {
            if NetworkAddress.isLocalName(host) {
                throw NodeError.http(.forbiddenAddress(host: host, address: host, reason: "loopback"))
            }
            if let reason = NetworkAddress.restriction(of: host) {
                throw NodeError.http(.forbiddenAddress(host: host, address: host, reason: reason))
            }
        }
        var requestHeaders = headers.map { (name: $0.0, value: $0.1.render(pool)) }
        var payload: [UInt8]?
        switch body {
        case .json(let template):
            payload = JSONWriter.bytes(template.evaluate(pool))
            requestHeaders.append((name: "Content-Type", value: "application/json"))
        case .form(let fields):
            var components = URLComponents()
            components.queryItems = fields.map { URLQueryItem(name: $0.0, value: $0.1.render(pool)) }
            payload = Array((components.percentEncodedQuery ?? "").utf8)
            requestHeaders.append((name: "Content-Type", value: "application/x-www-form-urlencoded"))
        case .raw(let template, let contentType):
            payload = Array(template.render(pool).utf8)
            requestHeaders.append((name: "Content-Type", value: contentType))
        case nil:
            break
        }
        let request = HTTPRequestSpec(
            method: method, url: address.absoluteString, headers: requestHeaders, body: payload, timeout: policy.defaultTimeout,
            maxResponseBytes: policy.maxResponseBytes, allowPrivateNetworks: policy.allowPrivateNetworks)
        let response = try await fetcher.fetch(request)

        var responseHeaders: [String: Value] = [:]
        for header in response.headers {
            let name = header.name.lowercased()
            responseHeaders[name] = .string(responseHeaders[name].map { "\($0.text), \(header.value)" } ?? header.value)
        }
        let text = String(decoding: response.body, as: UTF8.self)
        var json = Value.null
        if response.header("content-type")?.lowercased().contains("json") == true {
            json = (try? JSONDocumentReader.parse(text).value) ?? .null
        }
        return NodeResult(
            outputs: ["status_code": .int(response.status), "body": .string(text), "headers": .object(responseHeaders), "json": json],
            inputs: ["method": .string(method), "url": .string(address.absoluteString)])
    }

    private func targetURL(_ pool: VariablePool) throws(NodeError) -> URL {
        let text = url.render(pool).trimmingCharacters(in: .whitespaces)
        guard var components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            components.host?.isEmpty == false
        else {
            throw NodeError.http(.invalidURL(text))
        }
        if !query.isEmpty {
            components.queryItems = (components.queryItems ?? []) + query.map { URLQueryItem(name: $0.0, value: $0.1.render(pool)) }
        }
        guard let address = components.url else { throw NodeError.http(.invalidURL(text)) }
        return address
    }
}
