/// One allocation carved into float buffers of the given sizes, freed together.
final class FloatSlab {
    private let storage: UnsafeMutablePointer<Float>
    let buffers: [UnsafeMutablePointer<Float>]

    init(_ sizes: [Int]) {
        storage = .allocate(capacity: max(1, sizes.reduce(0, +)))
        var buffers: [UnsafeMutablePointer<Float>] = []
        var offset = 0
        for size in sizes {
            buffers.append(storage + offset)
            offset += size
        }
        self.buffers = buffers
    }

    deinit { storage.deallocate() }
}
