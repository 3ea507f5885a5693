/// Vectors made ready for the block kernels, in scratch memory one `Linear` owns:
/// - copied to 64-byte-aligned memory: a 64-byte load that straddles two cache lines costs two;
/// - padded with zero vectors to the width of the kernel that takes them (`lanes`: 1, 4 or 8), so the kernel's
///   loads stay inside the scratch whatever the count;
/// - with each vector's sums per 32 values (which carry Q4 blocks' offsets) stored block by block, `lanes` apart,
///   so one load gives every vector's sum for a block.
final class BlockBatch: @unchecked Sendable {
    // Written by `load` before a pass and only read while the pass runs on the pool's threads.
    private(set) var x: UnsafeMutablePointer<Float>
    private(set) var sums: UnsafeMutablePointer<Float>
    private(set) var count = 0
    private(set) var lanes = 1
    private var xCapacity = 0
    private var sumsCapacity = 0

    init() {
        x = Self.allocate(1)
        sums = Self.allocate(1)
    }

    deinit {
        x.deallocate()
        sums.deallocate()
    }

    /// The kernel width for `count` vectors: one alone, up to four, up to eight.
    static func lanes(for count: Int) -> Int { count == 1 ? 1 : count <= 4 ? 4 : 8 }

    func load(_ source: UnsafePointer<Float>, count: Int, columns: Int) {
        precondition(count >= 1 && count <= 8, "the block kernels take one to eight vectors")
        self.count = count
        lanes = Self.lanes(for: count)
        let blocks = columns / 32
        if lanes * columns > xCapacity {
            x.deallocate()
            x = Self.allocate(lanes * columns)
            xCapacity = lanes * columns
        }
        if lanes * blocks > sumsCapacity {
            sums.deallocate()
            sums = Self.allocate(lanes * blocks)
            sumsCapacity = lanes * blocks
        }
        x.update(from: source, count: count * columns)
        (x + count * columns).update(repeating: 0, count: (lanes - count) * columns)
        for vector in 0..<lanes {
            let values = x + vector * columns
            for block in 0..<blocks {
                var acc = SIMD8<Float>()
                for lane in stride(from: 0, to: 32, by: 8) {
                    acc += UnsafeRawPointer(values + (block &* 32 &+ lane)).loadUnaligned(as: SIMD8<Float>.self)
                }
                sums[block &* lanes &+ vector] = acc.sum()
            }
        }
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64).bindMemory(to: Float.self, capacity: count)
    }
}
