import Foundation
import LoomKnowledge
import LoomWorkflow

/// Reads a web page: fetched through the engine's HTTP fetcher under its address policy, its readable text returned
/// (the title as a heading, then the text without markup), cut at `max_chars` so it fits in a model's prompt. Plain
/// text pages come back as they are; other content types are refused with the type.
public struct WebPageTool: Tool {
    public let name = "web_page"
    public let description = "The readable text of the web page at a URL."
    public let parameters = [
        ToolParameter("url", .string, description: "The page's http or https URL."),
        ToolParameter("max_chars", .integer, required: false, description: "At most this many characters of text (default 4000)."),
    ]
    static let defaultMaxChars = 4000

    let fetcher: any HTTPFetcher
    let policy: HTTPPolicy

    public init(fetcher: any HTTPFetcher, policy: HTTPPolicy) {
        self.fetcher = fetcher
        self.policy = policy
    }

    public func call(_ arguments: [String: Value]) async throws -> Value {
        let url = arguments["url"]?.text ?? ""
        let limit = arguments["max_chars"]?.numberValue.map { Int($0) } ?? Self.defaultMaxChars
        guard limit >= 1 else { throw ToolError.invalidArgument("max_chars", "must be at least 1") }
        let response: HTTPResponseData
        do {
            response = try await fetcher.fetch(HTTPRequestSpec(
                method: "GET", url: url, headers: [("Accept", "text/html, text/plain;q=0.9")], timeout: policy.defaultTimeout,
                maxResponseBytes: policy.maxResponseBytes, allowPrivateNetworks: policy.allowPrivateNetworks))
        } catch {
            throw ToolError.failed(error.description)
        }
        guard (200..<300).contains(response.status) else { throw ToolError.failed("\(url) answered HTTP \(response.status)") }
        let type = response.header("Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard let body = String(bytes: response.body, encoding: .utf8) else { throw ToolError.failed("\(url) did not answer with UTF-8 text") }
        var page: String
        switch type {
        case "text/html", "application/xhtml+xml", "":
            let (text, title) = HTMLText.extract(body)
            page = title.map { "# \($0)\n\n" + text } ?? text
        case "text/plain", "text/markdown":
            page = body
        default:
            throw ToolError.failed("\(url) is not a web page (content type \(type))")
        }
        if page.count > limit { page = String(page.prefix(limit)) + "…" }
        return .string(page)
    }
}

extension ToolRegistry {
    /// The built-ins with those that reach the network: `web_page`.
    public static func builtIn(fetcher: any HTTPFetcher, policy: HTTPPolicy) -> ToolRegistry {
        var registry = ToolRegistry.builtIn
        registry.register(WebPageTool(fetcher: fetcher, policy: policy))
        return registry
    }
}
