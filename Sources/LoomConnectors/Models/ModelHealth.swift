import AsyncHTTPClient
import Foundation
import LoomWorkflow

/// Whether a configured model endpoint answers, as `/healthz` and `loom models` show it.
public struct ModelHealth: Sendable {
    public var name: String
    public var baseURL: String
    public var model: String
    public var reachable: Bool
    public var detail: String
    public var latency: Duration?
}

extension OpenAICompatibleProvider {
    /// Asks every endpoint for `GET /models`, at most `timeout` each, all at once.
    public func health(timeout: Duration = .seconds(2)) async -> [ModelHealth] {
        await withTaskGroup(of: ModelHealth.self) { group in
            for endpoint in catalog.endpoints.values {
                group.addTask { await self.probe(endpoint, timeout: timeout) }
            }
            var results: [ModelHealth] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.name < $1.name }
        }
    }

    private func probe(_ endpoint: ModelEndpoint, timeout: Duration) async -> ModelHealth {
        var health = ModelHealth(name: endpoint.name, baseURL: endpoint.baseURL, model: endpoint.model, reachable: false, detail: "", latency: nil)
        guard let client = client(for: endpoint.name) else { return health }
        var request = HTTPClientRequest(url: endpoint.baseURL + "/models")
        if let key = endpoint.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let started = ContinuousClock.now
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            _ = try await response.body.collect(upTo: 1 << 20)
            health.latency = .now - started
            health.reachable = response.status.code < 500
            health.detail = "HTTP \(response.status.code)"
        } catch {
            health.detail = "\(error)"
        }
        return health
    }
}
