import AsyncHTTPClient
import Foundation
import Logging

/// Keeps one worker process running: starts it, watches its health, and starts it again when it exits.
struct WorkerSupervisor: Sendable {
    let slot: WorkerSlot
    let executable: String
    let arguments: [String]
    let client: HTTPClient
    let logger: Logger
    static let healthInterval: Duration = .seconds(1)

    /// Runs until cancelled; then stops the process.
    func run() async {
        var backoff: Duration = .milliseconds(250)
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let status = await runOnce()
            slot.markHealthy(false)
            slot.running(0)
            guard !Task.isCancelled else { return }
            slot.restarted()
            // A worker that ran a while gets restarted at once; one that keeps failing waits longer each time.
            if .now - started > .seconds(30) { backoff = .milliseconds(250) }
            logger.error("worker exited; restarting", metadata: ["worker": "\(slot.index)", "status": "\(status)", "after": "\(backoff)"])
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(10))
        }
    }

    /// Starts the process and returns its exit status once it ends.
    private func runOnce() async -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let (exits, exited) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { process in
            exited.yield(process.terminationStatus)
            exited.finish()
        }
        do {
            try process.run()
        } catch {
            return "could not start \(executable): \(error)"
        }
        slot.running(process.processIdentifier)
        logger.info("worker started", metadata: ["worker": "\(slot.index)", "pid": "\(process.processIdentifier)", "port": "\(slot.port)"])
        return await withTaskCancellationHandler {
            await withTaskGroup(of: String?.self) { group in
                group.addTask {
                    for await status in exits { return "exit \(status)" }
                    return "exited"
                }
                group.addTask {
                    await watchHealth()
                    return nil
                }
                let status = await group.next()! ?? "exited"
                group.cancelAll()
                return status
            }
        } onCancel: {
            process.terminate()
        }
    }

    /// Polls `/healthz` until cancelled; the router sends requests only to a worker that answered the last poll.
    private func watchHealth() async {
        while !Task.isCancelled {
            var request = HTTPClientRequest(url: slot.baseURL + "/healthz")
            request.method = .GET
            let ok = (try? await client.execute(request, timeout: .seconds(2)).status == .ok) ?? false
            if ok != slot.isHealthy {
                slot.markHealthy(ok)
                logger.info(ok ? "worker ready" : "worker not answering", metadata: ["worker": "\(slot.index)", "port": "\(slot.port)"])
            }
            try? await Task.sleep(for: ok ? Self.healthInterval : .milliseconds(100))
        }
    }
}
