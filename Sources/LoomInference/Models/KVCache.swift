/// One sequence's keys and values, per layer, growing as the sequence does.
public final class KVCache: @unchecked Sendable {
    // Used by one forward pass at a time (the scheduler's thread).
    let layers: Int
    let width: Int
    public private(set) var capacity: Int
    private(set) var keys: [UnsafeMutablePointer<Float>]
    private(set) var values: [UnsafeMutablePointer<Float>]
    /// Positions filled so far.
    public var count = 0

    init(layers: Int, width: Int, capacity: Int = 256) {
        self.layers = layers
        self.width = width
        self.capacity = capacity
        keys = (0..<layers).map { _ in .allocate(capacity: capacity * width) }
        values = (0..<layers).map { _ in .allocate(capacity: capacity * width) }
    }

    deinit {
        for pointer in keys + values { pointer.deallocate() }
    }

    /// Makes room for positions up to `needed`.
    func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        func grow(_ old: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
            let new = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * width)
            new.update(from: old, count: capacity * width)
            old.deallocate()
            return new
        }
        keys = keys.map(grow)
        values = values.map(grow)
        capacity = newCapacity
    }

    /// Forgets everything after `position` (a sequence that is cut back).
    public func truncate(to position: Int) {
        count = min(count, position)
    }
}
