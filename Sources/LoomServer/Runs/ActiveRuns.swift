import Foundation
import Synchronization

/// The runs this server is executing: for stopping them, and for the per-app limit on concurrent runs.
final class ActiveRuns: Sendable {
    private struct Entry {
        var appId: Int
        var cancel: @Sendable () -> Void
    }

    private let state = Mutex<(runs: [UUID: Entry], perApp: [Int: Int])>(([:], [:]))
    let limitPerApp: Int

    init(limitPerApp: Int) {
        self.limitPerApp = limitPerApp
    }

    /// Takes one of the app's run slots; false when all are in use.
    func reserve(app: Int) -> Bool {
        state.withLock { state in
            let running = state.perApp[app, default: 0]
            guard running < limitPerApp else { return false }
            state.perApp[app] = running + 1
            return true
        }
    }

    func release(app: Int) {
        state.withLock { state in
            state.perApp[app] = max(0, state.perApp[app, default: 1] - 1)
        }
    }

    func register(_ run: UUID, app: Int, cancel: @escaping @Sendable () -> Void) {
        state.withLock { $0.runs[run] = Entry(appId: app, cancel: cancel) }
    }

    func unregister(_ run: UUID) {
        _ = state.withLock { $0.runs.removeValue(forKey: run) }
    }

    /// Cancels the run if it is here (and belongs to `app`, when given).
    @discardableResult
    func stop(_ run: UUID, app: Int? = nil) -> Bool {
        let entry = state.withLock { $0.runs[run] }
        guard let entry, app == nil || entry.appId == app else { return false }
        entry.cancel()
        return true
    }

    var count: Int { state.withLock { $0.runs.count } }
}
