/// How the http-request node reaches the network.
public protocol HTTPFetcher: Sendable {
    func fetch(_ request: HTTPRequestSpec) async throws(HTTPFetchError) -> HTTPResponseData
}

public struct HTTPRequestSpec: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var timeout: Duration
    public var maxResponseBytes: Int
    /// Loopback, private, link-local and similar addresses are refused unless this is set.
    public var allowPrivateNetworks: Bool

    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration = .seconds(30), maxResponseBytes: Int = 1 << 20, allowPrivateNetworks: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.allowPrivateNetworks = allowPrivateNetworks
    }
}

public struct HTTPResponseData: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

public enum HTTPFetchError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalidURL(String)
    case forbiddenAddress(host: String, address: String, reason: String)
    case unreachable(url: String, reason: String)
    case timedOut(url: String)
    case responseTooLarge(url: String, limit: Int)
    case tooManyRedirects(url: String)

    public var description: String {
        switch self {
        case .invalidURL(let url): return "'\(url)' is not an http or https URL"
        case .forbiddenAddress(let host, let address, let reason):
            let via = host == address ? "" : " (\(host) resolves to \(address))"
            return "refusing to connect to \(address)\(via): \(reason) addresses are blocked; an operator can allow them with LOOM_HTTP_ALLOW_PRIVATE=1"
        case .unreachable(let url, let reason): return "cannot reach \(url): \(reason)"
        case .timedOut(let url): return "\(url) did not answer in time"
        case .responseTooLarge(let url, let limit): return "the response from \(url) is larger than \(limit / 1024) KB"
        case .tooManyRedirects(let url): return "too many redirects from \(url)"
        }
    }
}

/// Operator settings for outbound HTTP from workflows.
public struct HTTPPolicy: Sendable {
    public var allowPrivateNetworks: Bool
    public var maxResponseBytes: Int
    public var defaultTimeout: Duration

    public init(allowPrivateNetworks: Bool = false, maxResponseBytes: Int = 1 << 20, defaultTimeout: Duration = .seconds(30)) {
        self.allowPrivateNetworks = allowPrivateNetworks
        self.maxResponseBytes = maxResponseBytes
        self.defaultTimeout = defaultTimeout
    }
}
