import Foundation
import Hummingbird
import NIOCore

/// The per-request context; Loom reads bodies itself with its configured limit.
public struct LoomRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection, watched by streams to notice a client that went away.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

extension LoomRequestContext {
    /// A document's name from path parameter `key`: a name with `/` arrives percent-encoded.
    func documentName(_ key: String) throws -> String {
        guard let raw = parameters.get(key), let name = raw.removingPercentEncoding, !name.isEmpty else {
            throw APIError.notFound("no document in the path")
        }
        return name
    }
}
