import Foundation
import LoomStore
import ServiceLifecycle

/// Follows one notification channel for the life of the server: stops reach the server running the run, key and app
/// changes reach every server's access cache, new dataset versions start loading their index.
struct NotificationListener: Service {
    let store: Store
    let channel: String
    var onSubscribed: @Sendable () async -> Void = {}
    let onMessage: @Sendable (String) async -> Void
    /// The listeners a server runs (`all`), each holding a database connection.
    static let perServer = 3

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await NotificationChannel(channel, store: store).listen(onSubscribed: onSubscribed, onMessage)
        }
    }

    /// Stops, access changes and dataset versions: `perServer` listeners.
    static func all(_ store: Store, active: ActiveRuns, cache: AccessCache, retriever: DatasetRetriever) -> [Self] {
        let listeners = [stops(store, active), access(store, cache), datasets(store, retriever)]
        assert(listeners.count == perServer, "perServer counts the connections a server keeps standing")
        return listeners
    }

    static func stops(_ store: Store, _ active: ActiveRuns) -> Self {
        Self(store: store, channel: NotificationChannel.runStops) { payload in if let runId = UUID(uuidString: payload) { active.stop(runId) } }
    }

    static func access(_ store: Store, _ cache: AccessCache) -> Self {
        Self(store: store, channel: NotificationChannel.access, onSubscribed: { cache.flush() }) { cache.apply($0) }
    }

    static func datasets(_ store: Store, _ retriever: DatasetRetriever) -> Self {
        Self(store: store, channel: NotificationChannel.datasets) { retriever.apply($0) }
    }
}
