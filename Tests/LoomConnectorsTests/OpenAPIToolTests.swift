import Foundation
import LoomConnectors
import LoomTestSupport
import LoomWorkflow
import Synchronization
import Testing

/// OpenAPI operations as tools, called over real sockets against a server the test runs.
@Suite struct OpenAPIToolTests {
    static let spec = """
        openapi: 3.0.3
        info: {title: Shop API, version: "1"}
        servers: [{url: "http://127.0.0.1:1/api"}]
        paths:
          /users/{id}:
            parameters:
              - {name: id, in: path, required: true, schema: {type: integer}, description: "The user"}
            get:
              operationId: getUser
              summary: One user.
              parameters:
                - {$ref: "#/components/parameters/Fields"}
          /orders:
            post:
              operationId: create-order
              summary: Places an order.
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: "#/components/schemas/Order"}
        components:
          parameters:
            Fields: {name: fields, in: query, schema: {type: string}, description: "Fields to return"}
          schemas:
            Order:
              type: object
              required: [sku]
              properties:
                sku: {type: string, description: "The product"}
                qty: {type: integer}
        """

    private func tools(port: Int, environment: [String: String] = ["SHOP_TOKEN": "s3cret"], allowPrivate: Bool = true, fetcher: NetworkHTTPFetcher) throws -> [String: OpenAPITool] {
        let document = try OpenAPIDocument(text: Self.spec, file: "shop.yaml")
        return Dictionary(uniqueKeysWithValues: document.operations.map { operation in
            let tool = OpenAPITool(
                provider: "shop", operation: operation, baseURL: "http://127.0.0.1:\(port)/api", authentication: .bearer(variable: "SHOP_TOKEN"),
                fetcher: fetcher, policy: HTTPPolicy(allowPrivateNetworks: allowPrivate), environment: { environment[$0] })
            return (tool.name, tool)
        })
    }

    @Test func operationsBecomeToolsWithTypedParametersFromPathQueryAndBody() throws {
        let document = try OpenAPIDocument(text: Self.spec, file: "shop.yaml")
        #expect(document.operations.map(\.name) == ["create_order", "getUser"])
        let create = try #require(document.operations.first)
        #expect(create.parameters.map { "\($0.parameter.name):\($0.parameter.kind.rawValue):\($0.parameter.required):\($0.location.rawValue)" } == ["qty:integer:false:body", "sku:string:true:body"])
        let get = document.operations[1]
        #expect(get.parameters.map(\.parameter.name) == ["id", "fields"])
        #expect(get.parameters.first?.parameter.kind == .integer)
    }

    @Test func aCallFillsThePathQueryHeadersAndBodyAndReadsJSON() async throws {
        let seen = Mutex<[TestHTTPServer.Request]>([])
        try await TestHTTPServer.with({ request in
            seen.withLock { $0.append(request) }
            return request.method == "POST" ? .json(#"{"order": 12, "received": \#(request.bodyText)}"#) : .json(#"{"id": 7, "name": "Ada"}"#)
        }) { port in
            let fetcher = NetworkHTTPFetcher()
            let tools = try tools(port: port, fetcher: fetcher)
            let user = try await tools["shop_getUser"]!.call(json: #"{"id": 7, "fields": "name"}"#)
            #expect(user == ["id": 7, "name": "Ada"])
            let order = try await tools["shop_create_order"]!.call(json: #"{"sku": "bolt", "qty": "3"}"#)
            #expect(order[path: ["received"]] == ["sku": "bolt", "qty": 3])
            await fetcher.shutdown()
            let requests = seen.withLock { $0 }
            #expect(requests.first?.uri == "/api/users/7?fields=name")
            #expect(requests.first?.header("authorization") == "Bearer s3cret")
            #expect(requests.last?.header("content-type") == "application/json")
        }
    }

    @Test func errorsAreClearAndKeepTheCredentialOut() async throws {
        try await TestHTTPServer.with({ _ in .json(#"{"error": "no such user"}"#, status: 404) }) { port in
            let fetcher = NetworkHTTPFetcher()
            let tools = try tools(port: port, fetcher: fetcher)
            await #expect(throws: ToolError.failed(#"HTTP 404: {"error": "no such user"}"#)) { try await tools["shop_getUser"]!.call(json: #"{"id": 1}"#) }
            await #expect(throws: ToolError.missingArgument("id")) { try await tools["shop_getUser"]!.call(json: "{}") }
            let unauthenticated = try self.tools(port: port, environment: [:], fetcher: fetcher)
            await #expect(throws: ToolError.failed("the credential for shop_getUser is missing: set the environment variable SHOP_TOKEN")) {
                try await unauthenticated["shop_getUser"]!.call(json: #"{"id": 1}"#)
            }
            let guarded = try self.tools(port: port, allowPrivate: false, fetcher: fetcher)
            do {
                _ = try await guarded["shop_getUser"]!.call(json: #"{"id": 1}"#)
                Issue.record("a loopback API was reached without LOOM_HTTP_ALLOW_PRIVATE")
            } catch let error as ToolError {
                #expect(error.description.contains("loopback") && !error.description.contains("s3cret"))
            }
            await fetcher.shutdown()
        }
    }

    @Test func anUnresolvableReferenceIsNamed() {
        let broken = Self.spec.replacingOccurrences(of: "#/components/schemas/Order", with: "#/components/schemas/Missing")
        #expect(throws: OpenAPIError.unresolvable("#/components/schemas/Missing", reason: "nothing is there")) {
            try OpenAPIDocument(text: broken, file: "shop.yaml")
        }
        #expect(throws: OpenAPIError.self) { try OpenAPIDocument(text: "swagger: '2.0'\npaths: {}\n", file: "old.yaml") }
        let remote = Self.spec.replacingOccurrences(of: "#/components/schemas/Order", with: "https://example.com/order.json")
        #expect(throws: OpenAPIError.unresolvable("https://example.com/order.json", reason: "only references within the document (#/…) are followed")) {
            try OpenAPIDocument(text: remote, file: "shop.yaml")
        }
    }

    /// `loom tools import-openapi` writes the file back: its MCP servers and apps survive, odd characters and all.
    @Test func aToolsFileWrittenBackReadsTheSame() throws {
        let text = """
            openapi:
              shop: {spec: shop.yaml, base_url: "https://shop.example.com", auth: {type: header, name: X-Key, env: SHOP_KEY}}
            mcp:
              files: {command: npx, args: ["-y", "server: files", "/srv/my docs"], env: {LOG: "a \\"quoted\\" word"}, timeout_s: 2.5}
              search: {url: "https://mcp.example.com/mcp", bearer_env: SEARCH_TOKEN}
            apps:
              triage: {key_env: TRIAGE_KEY, server: "http://127.0.0.1:9090"}
            """
        let file = try ToolsFile(text: text, file: "tools.yaml")
        let again = try ToolsFile(text: file.yaml, file: "tools.yaml")
        #expect(again.openAPI == file.openAPI && again.mcp == file.mcp && again.apps == file.apps, "\(file.yaml)")
        #expect(file.mcp.first?.arguments == ["-y", "server: files", "/srv/my docs"] && file.mcp.first?.environment == ["LOG": "a \"quoted\" word"])
        #expect(file.apps == [ToolsFile.App(name: "triage", server: "http://127.0.0.1:9090", keyVariable: "TRIAGE_KEY")])
    }

    @Test(arguments: [
        ("shell: {}\n", "unknown key 'shell' (tools.yaml has: openapi, mcp, apps)"),
        ("openapi:\n  shop: {base_url: http://x}\n", "openapi provider 'shop' needs 'spec'"),
        ("openapi:\n  shop: {spec: s.yaml, auth: {type: bearer}}\n", "the auth of 'shop' needs 'env'"),
        ("openapi:\n  shop: {spec: s.yaml, auth: {type: cookie, env: X}}\n", "the auth type of 'shop' must be bearer, header or query"),
        ("openapi:\n  my-shop: {spec: s.yaml}\n", "provider name 'my-shop' may hold letters, digits and '_' only"),
        ("mcp:\n  files: {url: ftp://example.com/mcp}\n", "MCP server 'files': url must be an http or https address"),
        ("mcp:\n  files: {url: https://example.com/mcp, command: x}\n", "MCP server 'files' has both 'command' and 'url'"),
        ("mcp:\n  files: {args: [x]}\n", "MCP server 'files' needs 'command' (a process on stdio) or 'url' (streamable HTTP)"),
        ("apps:\n  triage: {server: http://x}\n", "app tool 'triage' needs 'key_env'"),
        ("apps:\n  tri-age: {key_env: K}\n", "app tool name 'tri-age' may hold letters, digits and '_' only"),
        ("openapi: [\n", "tools.yaml:"),
    ])
    func aBrokenToolsFileSaysWhatIsWrong(text: String, message: String) {
        do {
            _ = try ToolsFile(text: text, file: "tools.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
