import AsyncHTTPClient
import Foundation
import LoomWorkflow
import NIOCore
import NIOHTTP1

/// Outbound HTTP for the http-request node. Every hop's host is resolved and checked against the address policy
/// before connecting, redirects included (followed here, not by the client, so each target is checked).
public final class NetworkHTTPFetcher: HTTPFetcher {
    private let client: HTTPClient
    private let resolver: HostResolver
    private let maxRedirects = 5

    public init(resolver: HostResolver = HostResolver()) {
        self.client = .loomClient(connect: .seconds(10))
        self.resolver = resolver
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func fetch(_ spec: HTTPRequestSpec) async throws(HTTPFetchError) -> HTTPResponseData {
        var url = spec.url
        var method = spec.method
        var body = spec.body
        for _ in 0...maxRedirects {
            try await check(url, allowPrivate: spec.allowPrivateNetworks)
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method)
            for header in spec.headers { request.headers.add(name: header.name, value: header.value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response: HTTPClientResponse
            var collected: ByteBuffer
            do {
                response = try await client.execute(request, timeout: .nanoseconds(spec.timeout.nanoseconds))
                collected = try await response.body.collect(upTo: spec.maxResponseBytes)
            } catch is NIOTooManyBytesError {
                throw HTTPFetchError.responseTooLarge(url: url, limit: spec.maxResponseBytes)
            } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
                throw HTTPFetchError.timedOut(url: url)
            } catch {
                throw HTTPFetchError.unreachable(url: url, reason: String(describing: error))
            }
            if [301, 302, 303, 307, 308].contains(Int(response.status.code)), let location = response.headers.first(name: "location"),
                let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL.absoluteString
            {
                if response.status.code == 303 || (response.status.code != 307 && response.status.code != 308 && method == "POST") {
                    method = "GET"
                    body = nil
                }
                url = next
                continue
            }
            let bytes = collected.readBytes(length: collected.readableBytes) ?? []
            return HTTPResponseData(status: Int(response.status.code), headers: response.headers.map { (name: $0.name, value: $0.value) }, body: bytes)
        }
        throw HTTPFetchError.tooManyRedirects(url: spec.url)
    }

    /// Refuses URLs whose host is, or resolves to, an address the policy blocks. (A name that resolves
    /// differently at connect time could slip past; operators who need that closed should use an egress proxy.)
    private func check(_ url: String, allowPrivate: Bool) async throws(HTTPFetchError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = components.host, !host.isEmpty
        else {
            throw HTTPFetchError.invalidURL(url)
        }
        if allowPrivate { return }
        if NetworkAddress.isLocalName(host) { throw HTTPFetchError.forbiddenAddress(host: host, address: host, reason: "loopback") }
        let addresses = try await resolver.addresses(of: host)
        for address in addresses {
            if let reason = NetworkAddress.restriction(of: address) {
                throw HTTPFetchError.forbiddenAddress(host: host, address: address, reason: reason)
            }
        }
    }
}
