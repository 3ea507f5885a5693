import Hummingbird
import NIOCore

/// The per-request context; it keeps the connection so a generation ends when its client goes away.
public struct WorkerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
