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
                        logger.warning("failed runs left by a stopped server", metadata: ["runs": "\(failed.map { $0.lowercasedString })"])
                    }
                } catch StoreError.unavailable {
                    // The store says once that the database went away, and once that it answers again.
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
