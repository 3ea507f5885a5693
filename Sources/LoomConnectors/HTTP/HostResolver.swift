import Foundation
import LoomWorkflow

#if canImport(Glibc)
    import Glibc
#endif

/// Resolves host names with getaddrinfo on a Dispatch thread, so the blocking call never holds a Swift
/// concurrency or NIO thread.
public struct HostResolver: Sendable {
    public init() {}

    public func addresses(of host: String) async throws(HTTPFetchError) -> [String] {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let result: Result<[String], HTTPFetchError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Self.resolve(name))
            }
        }
        return try result.get()
    }

    private static func resolve(_ host: String) -> Result<[String], HTTPFetchError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            let reason = String(cString: gai_strerror(status))
            return .failure(.unreachable(url: host, reason: "cannot resolve \(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = entry.pointee.ai_next
        }
        return .success(addresses)
    }
}
