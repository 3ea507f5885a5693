import Synchronization

/// The deadlines of a store's operations, watched by one task (`watch`) that wakes every `tick`. A timer of its
/// own per operation cost a task and a libdispatch timer each, whose thread woke to file it and again, seconds
/// later, to fire it long after the operation had ended.
final class OperationDeadlines: Sendable {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        var expire: @Sendable () -> Void
    }

    /// How late a deadline may be noticed.
    static let tick: Duration = .milliseconds(50)
    private let state = Mutex<(next: Int, entries: [Int: Entry])>((0, [:]))

    /// Calls `expire` once `timeout` has passed, unless `remove` comes first; returns the deadline's id.
    func add(_ timeout: Duration, _ expire: @escaping @Sendable () -> Void) -> Int {
        let entry = Entry(deadline: .now + timeout, expire: expire)
        return state.withLock { state in
            defer { state.next &+= 1 }
            state.entries[state.next] = entry
            return state.next
        }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Fires the deadlines that pass, until cancelled.
    func watch() async {
        while (try? await Task.sleep(for: Self.tick)) != nil {
            let now = ContinuousClock.now
            let expired = state.withLock { state -> [Entry] in
                let due = state.entries.filter { $0.value.deadline <= now }
                for id in due.keys { state.entries[id] = nil }
                return Array(due.values)
            }
            for entry in expired { entry.expire() }
        }
    }
}
