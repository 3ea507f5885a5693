import LoomConnectors
import LoomTestSupport
import LoomWorkflow
import Testing

/// `web_page` against a real HTTP server: the page's readable text, within the address policy and a length limit.
@Suite struct WebPageToolTests {
    static let page = """
        <html><head><title>Opening hours &amp; prices</title><style>p {color: red}</style></head>
        <body><h1>Hours</h1><p>Open 9&ndash;17 on weekdays.</p><script>track()</script><p>Tickets: 12 EUR.</p></body></html>
        """

    static func withTool(allowPrivate: Bool = true, _ body: @Sendable (WebPageTool, Int) async throws -> Void) async throws {
        try await TestHTTPServer.with({ request in
            switch request.path {
            case "/hours": return .text(Self.page, contentType: "text/html; charset=utf-8")
            case "/notes.txt": return .text("plain notes")
            case "/logo.png": return .text("\u{89}PNG", contentType: "image/png")
            default: return .text("gone", status: 404)
            }
        }) { port in
            let fetcher = NetworkHTTPFetcher()
            do {
                try await body(WebPageTool(fetcher: fetcher, policy: HTTPPolicy(allowPrivateNetworks: allowPrivate)), port)
            } catch {
                await fetcher.shutdown()
                throw error
            }
            await fetcher.shutdown()
        }
    }

    @Test func aPageComesBackAsItsTitleAndTextWithoutMarkupOrScripts() async throws {
        try await Self.withTool { tool, port in
            let text = try await tool.call(json: #"{"url": "http://127.0.0.1:\#(port)/hours"}"#)
            #expect(text == "# Opening hours & prices\n\nHours\n\nOpen 9–17 on weekdays.\n\nTickets: 12 EUR.")
            #expect(try await tool.call(json: #"{"url": "http://127.0.0.1:\#(port)/notes.txt"}"#) == "plain notes")
            #expect(try await tool.call(json: #"{"url": "http://127.0.0.1:\#(port)/hours", "max_chars": 10}"#) == "# Opening …")
        }
    }

    @Test func missingPagesOtherContentAndPrivateAddressesAreClearErrors() async throws {
        try await Self.withTool { tool, port in
            await #expect(throws: ToolError.failed("http://127.0.0.1:\(port)/nothing answered HTTP 404")) {
                try await tool.call(json: #"{"url": "http://127.0.0.1:\#(port)/nothing"}"#)
            }
            await #expect(throws: ToolError.failed("http://127.0.0.1:\(port)/logo.png is not a web page (content type image/png)")) {
                try await tool.call(json: #"{"url": "http://127.0.0.1:\#(port)/logo.png"}"#)
            }
            await #expect(throws: ToolError.missingArgument("url")) { try await tool.call(json: "{}") }
        }
        try await Self.withTool(allowPrivate: false) { tool, port in
            do {
                _ = try await tool.call(json: #"{"url": "http://127.0.0.1:\#(port)/hours"}"#)
                Issue.record("a loopback page was read without LOOM_HTTP_ALLOW_PRIVATE")
            } catch let error as ToolError {
                #expect(error.description.contains("loopback"))
            }
        }
    }
}
