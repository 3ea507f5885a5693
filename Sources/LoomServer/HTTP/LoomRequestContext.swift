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
