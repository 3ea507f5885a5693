/// One sequence's keys and values, per layer, growing as the sequence does: in half precision, head by head, a
/// head's positions one after another. Decoding eight sequences reads their caches on every step (28 MB at
/// SmolLM2's average position in `loom bench inference`, beside 96 MB of weights), and attention waited on that
/// memory: halving it took decode attention from 5.8 to 4.1 ms a step on one thread. llama.cpp keeps its cache in
/// half precision too.
public final class KVCache: @unchecked Sendable {
    // Used by one forward pass at a time (the scheduler's thread).
    let heads: Int
    let dimension: Int
    public private(set) var capacity: Int
    private var keys: [UnsafeMutablePointer<Float16>]
    private var values: [UnsafeMutablePointer<Float16>]
    /// Positions filled so far.
    public var count = 0

    init(layers: Int, heads: Int, dimension: Int, capacity: Int = 256) {
        self.heads = heads
        self.dimension = dimension
        self.capacity = capacity
        keys = (0..<layers).map { _ in .allocate(capacity: heads * capacity * dimension) }
        values = (0..<layers).map { _ in .allocate(capacity: heads * capacity * dimension) }
    }

    deinit {
        for pointer in keys + values { pointer.deallocate() }
    }

    /// Makes room for positions up to `needed`.
    func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let (heads, dimension, capacity) = (heads, dimension, capacity)
        func grow(_ old: UnsafeMutablePointer<Float16>) -> UnsafeMutablePointer<Float16> {
            let new = UnsafeMutablePointer<Float16>.allocate(capacity: heads * newCapacity * dimension)
            for head in 0..<heads {
                (new + head * newCapacity * dimension).update(from: old + head * capacity * dimension, count: capacity * dimension)
            }
            old.deallocate()
            return new
        }
        keys = keys.map(grow)
        values = values.map(grow)
        self.capacity = newCapacity
    }

    /// Stores one position's keys and values of a layer, given as all heads' values side by side, rounded to half
    /// precision.
    func store(layer: Int, position: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        for head in 0..<heads {
            let offset = (head * capacity + position) * dimension
            Half.round(k + head * dimension, count: dimension, into: keys[layer] + offset)
            Half.round(v + head * dimension, count: dimension, into: values[layer] + offset)
        }
    }

    /// A head's keys of a layer: position p's at `p * dimension`.
    func keys(layer: Int, head: Int) -> UnsafePointer<Float16> {
        UnsafePointer(keys[layer] + head * capacity * dimension)
    }

    /// A head's values of a layer: position p's at `p * dimension`.
    func values(layer: Int, head: Int) -> UnsafePointer<Float16> {
        UnsafePointer(values[layer] + head * capacity * dimension)
    }

    /// Forgets everything after `position` (a sequence that is cut back).
    public func truncate(to position: Int) {
        count = min(count, position)
    }
}
