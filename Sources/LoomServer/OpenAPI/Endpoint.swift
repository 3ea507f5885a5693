import Hummingbird
import LoomWorkflow

/// One route: how it is called, who may call it, what it takes and answers, and its handler. The router and
/// `/openapi.json` are both built from the same list, so the description cannot drift from the routes.
struct Endpoint: Sendable {
    enum Access: String, Sendable {
        case none, appKey, datasetKey, admin
    }

    var method: HTTPRequest.Method
    /// OpenAPI style: `/v1/workflows/run/{id}`.
    var path: String
    var summary: String
    var access: Access
    /// A JSON schema of the body, when there is one.
    var body: Value?
    var bodyMediaType = "application/json"
    var query: [String] = []
    var responses: [Int: String]
    var handler: @Sendable (Request, LoomRequestContext) async throws -> Response

    /// Hummingbird's form of the path: `{id}` → `:id`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }

    var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }
}

enum OpenAPIDocument {
    static func build(_ endpoints: [Endpoint]) -> Value {
        var paths: [String: [String: Value]] = [:]
        for endpoint in endpoints {
            var operation: [String: Value] = [
                "summary": .string(endpoint.summary),
                "operationId": .string(operationId(endpoint)),
                "responses": .object(Dictionary(uniqueKeysWithValues: endpoint.responses.map { code, description in
                    (String(code), code == 204 ? ["description": .string(description)] as Value : [
                        "description": .string(description),
                        "content": [code == 200 && endpoint.path == "/metrics" ? "text/plain" : "application/json": ["schema": ["type": "object"]]],
                    ])
                })),
            ]
            let parameters: [Value] = endpoint.pathParameters.map { name in
                ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string"]]
            } + endpoint.query.map { name in ["name": .string(name), "in": "query", "required": false, "schema": ["type": "string"]] }
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            if let body = endpoint.body {
                operation["requestBody"] = ["required": true, "content": .object([endpoint.bodyMediaType: ["schema": body]])]
            }
            switch endpoint.access {
            case .none: operation["security"] = []
            case .appKey: operation["security"] = [["appKey": []]]
            case .datasetKey: operation["security"] = [["datasetKey": []], ["adminToken": []]]
            case .admin: operation["security"] = [["adminToken": []]]
            }
            paths[endpoint.path, default: [:]][endpoint.method.rawValue.lowercased()] = .object(operation)
        }
        return [
            "openapi": "3.0.3",
            "info": [
                "title": "Loom", "version": "0.2.0",
                "description": "LLM workflows as REST endpoints. The /v1 routes follow Dify's Service API; /apps/{app}/v1 is the same API at a base URL per app.",
            ],
            "paths": .object(paths.mapValues(Value.object)),
            "components": [
                "securitySchemes": [
                    "appKey": ["type": "http", "scheme": "bearer", "description": "An app key (loom keys create APP)."],
                    "datasetKey": ["type": "http", "scheme": "bearer", "description": "A dataset key for /v1/datasets (loom keys create --datasets)."],
                    "adminToken": ["type": "http", "scheme": "bearer", "description": "The admin token (LOOM_ADMIN_TOKEN)."],
                ]
            ],
        ]
    }

    private static func operationId(_ endpoint: Endpoint) -> String {
        // `a-b` becomes `aB`, so a path spelt with '-' and its twin spelt with '_' get different ids.
        let words = endpoint.path.split(separator: "/").map { word in
            word.hasPrefix("{") ? "by_" + word.dropFirst().dropLast()
                : word.split(separator: "-").enumerated().map { $0 == 0 ? String($1) : $1.prefix(1).uppercased() + $1.dropFirst() }.joined()
        }
        return ([endpoint.method.rawValue.lowercased()] + words).joined(separator: "_")
    }
}
