import Foundation
import LoomWorkflow

/// One operation of an OpenAPI document as a tool: arguments fill its path, query, headers and JSON body; the call
/// goes through the engine's HTTP fetcher under its address policy; credentials come from environment variables at
/// call time and never appear in arguments, results or errors.
public struct OpenAPITool: Tool {
    /// How the API wants its credential.
    public enum Authentication: Sendable, Equatable {
        case bearer(variable: String)
        case header(name: String, variable: String)
        case query(name: String, variable: String)
    }

    public let name: String
    public let description: String
    public let parameters: [ToolParameter]
    let operation: OpenAPIDocument.Operation
    let baseURL: String
    let authentication: Authentication?
    let fetcher: any HTTPFetcher
    let policy: HTTPPolicy
    let environment: @Sendable (String) -> String?

    public init(
        provider: String, operation: OpenAPIDocument.Operation, baseURL: String, authentication: Authentication?, fetcher: any HTTPFetcher,
        policy: HTTPPolicy, environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }
    ) {
        name = "\(provider)_\(operation.name)"
        description = operation.description
        parameters = operation.parameters.map(\.parameter)
        self.operation = operation
        self.baseURL = baseURL
        self.authentication = authentication
        self.fetcher = fetcher
        self.policy = policy
        self.environment = environment
    }

    public func call(_ arguments: [String: Value]) async throws -> Value {
        var path = operation.path
        var query: [URLQueryItem] = []
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        var body: [String: Value] = [:]
        var wholeBody: Value?
        for (parameter, location) in operation.parameters {
            guard let value = arguments[parameter.name] else { continue }
            switch location {
            case .path:
                let encoded = value.text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? value.text
                path = path.replacingOccurrences(of: "{\(parameter.name)}", with: encoded)
            case .query: query.append(URLQueryItem(name: parameter.name, value: value.text))
            case .header: headers.append((parameter.name, value.text))
            case .body:
                if operation.wholeBody { wholeBody = value } else { body[parameter.name] = value }
            }
        }
        switch authentication {
        case .bearer(let variable)?: headers.append(("Authorization", "Bearer " + (try secret(variable))))
        case .header(let header, let variable)?: headers.append((header, try secret(variable)))
        case .query(let parameter, let variable)?: query.append(URLQueryItem(name: parameter, value: try secret(variable)))
        case nil: break
        }
        var components = URLComponents(string: baseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        if !query.isEmpty {
            let existing = components?.queryItems ?? []
            components?.queryItems = existing + query
        }
        guard let url = components?.url?.absoluteString else { throw ToolError.failed("cannot build a URL from \(baseURL) and \(path)") }
        var payload: [UInt8]?
        if wholeBody != nil || !body.isEmpty {
            payload = JSONWriter.bytes(wholeBody ?? .object(body))
            headers.append(("Content-Type", "application/json"))
        }
        let response: HTTPResponseData
        do {
            response = try await fetcher.fetch(HTTPRequestSpec(
                method: operation.method, url: url, headers: headers, body: payload, timeout: policy.defaultTimeout,
                maxResponseBytes: policy.maxResponseBytes, allowPrivateNetworks: policy.allowPrivateNetworks))
        } catch {
            throw ToolError.failed(Self.withoutSecrets(error.description, authentication: authentication, environment: environment))
        }
        let text = String(decoding: response.body, as: UTF8.self)
        guard (200..<300).contains(response.status) else { throw ToolError.failed("HTTP \(response.status): \(text.prefix(300))") }
        return (try? JSONDocumentReader.parse(text).value) ?? .string(text)
    }

    private func secret(_ variable: String) throws(ToolError) -> String {
        guard let value = environment(variable), !value.isEmpty else {
            throw ToolError.failed("the credential for \(name) is missing: set the environment variable \(variable)")
        }
        return value
    }

    /// A transport error can quote the URL, which may carry a query credential: it is cut out.
    static func withoutSecrets(_ text: String, authentication: Authentication?, environment: (String) -> String?) -> String {
        guard case .query(_, let variable)? = authentication, let secret = environment(variable), !secret.isEmpty else { return text }
        return text.replacingOccurrences(of: secret, with: "***")
    }
}
