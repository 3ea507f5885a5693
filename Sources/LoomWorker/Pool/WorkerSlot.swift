import Synchronization

/// One worker process of the pool as the router sees it: where it listens, whether it answers, and how many
/// requests it has in flight.
public final class WorkerSlot: Sendable {
    public let index: Int
    public let port: Int
    private let healthy = Atomic<Bool>(false)
    private let inFlight = Atomic<Int>(0)
    private let restarts = Atomic<Int>(0)
    private let processId = Atomic<Int32>(0)

    init(index: Int, port: Int) {
        self.index = index
        self.port = port
    }

    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }
    public var outstanding: Int { inFlight.load(ordering: .relaxed) }
    public var restartCount: Int { restarts.load(ordering: .relaxed) }
    /// The running process, 0 between runs.
    public var pid: Int32 { processId.load(ordering: .relaxed) }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    func markHealthy(_ value: Bool) { healthy.store(value, ordering: .relaxed) }
    func begin() { inFlight.wrappingAdd(1, ordering: .relaxed) }
    func end() { inFlight.wrappingSubtract(1, ordering: .relaxed) }
    func restarted() { restarts.wrappingAdd(1, ordering: .relaxed) }
    func running(_ pid: Int32) { processId.store(pid, ordering: .relaxed) }
}

extension [WorkerSlot] {
    /// The healthy worker with the fewest requests in flight, skipping those that already failed this request.
    func leastOutstanding(excluding tried: Set<Int>) -> WorkerSlot? {
        filter { $0.isHealthy && !tried.contains($0.index) }.min { ($0.outstanding, $0.index) < ($1.outstanding, $1.index) }
    }
}
