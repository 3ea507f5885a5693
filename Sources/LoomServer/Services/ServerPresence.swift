import Foundation
import Logging
import LoomStore
import ServiceLifecycle

/// Keeps this server registered and beating, and fails runs of servers that stopped beating.
struct ServerPresence: Service {
    let store: Store
    let serverId: UUID
    let interval: Duration
    let staleAfter: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await store.servers.register(serverId, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier))
                    let failed = try await store.servers.failOrphanedRuns(staleAfter: staleAfter)
                    if !failed.isEmpty {
                        logger.warning("failed runs left by a stopped server", metadata: ["runs": "\(failed.map { $0.uuidString.lowercased() })"])
                    }
                } catch {
                    logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
                }
                // While the database is away, look again every second so work resumes soon after it returns.
                try? await Task.sleep(for: store.health.isAvailable ? interval : min(interval, .seconds(1)))
            }
        }
        try? await store.servers.deregister(serverId)
    }
}

/// Cancels runs on this server when any server announces their stop.
struct StopListener: Service {
    let store: Store
    let active: ActiveRuns

    func run() async throws {
        let active = self.active
        await cancelWhenGracefulShutdown {
            await NotificationChannel(NotificationChannel.runStops, store: store).listen { payload in
                if let runId = UUID(uuidString: payload) { active.stop(runId) }
            }
        }
    }
}

/// Keeps this server's key and app cache in step with changes made through any server.
struct AccessListener: Service {
    let store: Store
    let cache: AccessCache

    func run() async throws {
        let cache = self.cache
        await cancelWhenGracefulShutdown {
            await NotificationChannel(NotificationChannel.access, store: store).listen(onSubscribed: { cache.flush() }) { payload in
                cache.apply(payload)
            }
        }
    }
}

/// Loads new dataset versions committed through any server ahead of their first query.
struct DatasetListener: Service {
    let store: Store
    let retriever: DatasetRetriever

    func run() async throws {
        let retriever = self.retriever
        await cancelWhenGracefulShutdown {
            await NotificationChannel(NotificationChannel.datasets, store: store).listen { payload in retriever.apply(payload) }
        }
    }
}
