#if LOOM_VNNI
import Builtin
#endif

/// Vectors made ready for the block kernels, in scratch memory one `Linear` owns:
/// - copied to 64-byte-aligned memory: a 64-byte load that straddles two cache lines costs two;
/// - padded with zero vectors to the width of the kernel that takes them (`lanes`: 1, 4 or 8), so the kernel's
///   loads stay inside the scratch whatever the count;
/// - with each vector's sums per 32 values (which carry Q4 blocks' offsets) stored block by block, `lanes` apart,
///   so one load gives every vector's sum for a block;
/// - where this build has 8-bit dot products, as 8-bit integers for `InterleavedBlocks`.
final class BlockBatch: @unchecked Sendable {
    // Written by `load` before a pass and only read while the pass runs on the pool's threads.
    private(set) var x: UnsafeMutablePointer<Float>
    private(set) var sums: UnsafeMutablePointer<Float>
    private(set) var count = 0
    private(set) var lanes = 1
    private var xCapacity = 0
    private var sumsCapacity = 0
    #if LOOM_VNNI
    /// Each value as `step · (high + low / 256)`, per vector and block of 32: the value rounded to whole 256ths of a
    /// step (the block's largest magnitude / 127), `high` the nearest whole step, `low` what is left in 256ths:
    /// about 16 bits of each value. One 8-bit part alone (as llama.cpp does) put SmolLM2's logits
    /// up to 0.7 from the reference.
    private(set) var high = UnsafeMutablePointer<Int8>.allocate(capacity: 1)
    private(set) var low = UnsafeMutablePointer<Int8>.allocate(capacity: 1)
    /// Per vector and block (vector-major): the step / 256, the unit of `high · 256 + low`.
    private(set) var steps = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    /// Per vector and block: -128 · Σ(high · 256 + low), which takes back Q8_0 weights stored plus 128.
    private(set) var corrections = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var integerCapacity = 0
    #endif

    init() {
        x = Self.allocate(1)
        sums = Self.allocate(1)
    }

    deinit {
        x.deallocate()
        sums.deallocate()
        #if LOOM_VNNI
        high.deallocate()
        low.deallocate()
        steps.deallocate()
        corrections.deallocate()
        #endif
    }

    /// The kernel width for `count` vectors: one alone, up to four, up to eight.
    static func lanes(for count: Int) -> Int { count == 1 ? 1 : count <= 4 ? 4 : 8 }

    /// Makes `count` vectors ready; with a pool, its threads prepare the vectors side by side (with eight vectors
    /// in a step, splitting them into bytes on one thread was 7% of the step, the other thread waiting).
    func load(_ source: UnsafePointer<Float>, count: Int, columns: Int, pool: ComputePool? = nil) {
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
        #if LOOM_VNNI
        reserveIntegers(count * columns)
        #endif
        let prepare = { (vectors: Range<Int>) in
            for vector in vectors { self.prepare(vector, from: source, columns: columns) }
        }
        if let pool { pool.parallelFor(lanes, prepare) } else { prepare(0..<lanes) }
    }

    /// Copies one vector (a zero vector past `count`), sums its blocks, and splits it into bytes.
    private func prepare(_ vector: Int, from source: UnsafePointer<Float>, columns: Int) {
        let values = x + vector &* columns
        if vector < count {
            values.update(from: source + vector &* columns, count: columns)
        } else {
            values.update(repeating: 0, count: columns)
        }
        let blocks = columns / 32
        for block in 0..<blocks {
            var acc = SIMD8<Float>()
            for lane in stride(from: 0, to: 32, by: 8) {
                acc += UnsafeRawPointer(values + (block &* 32 &+ lane)).loadUnaligned(as: SIMD8<Float>.self)
            }
            sums[block &* lanes &+ vector] = acc.sum()
        }
        #if LOOM_VNNI
        if vector < count { splitIntoBytes(vector, blocks: blocks) }
        #endif
    }

    #if LOOM_VNNI
    private func reserveIntegers(_ count: Int) {
        guard count > integerCapacity else { return }
        for pointer in [high, low] { pointer.deallocate() }
        steps.deallocate()
        corrections.deallocate()
        (high, low) = (.allocate(capacity: count), .allocate(capacity: count))
        steps = .allocate(capacity: count / 32)
        corrections = .allocate(capacity: count / 32)
        integerCapacity = count
    }

    private func splitIntoBytes(_ vector: Int, blocks: Int) {
        for block in 0..<blocks {
            let index = vector &* blocks &+ block
            // NaN or infinity (a diverged model): NaN products, as Float would give, and no integers made from NaN.
            guard sums[block &* lanes &+ vector].isFinite else {
                (high + index &* 32).update(repeating: 0, count: 32)
                (low + index &* 32).update(repeating: 0, count: 32)
                (steps[index], corrections[index]) = (.nan, 0)
                continue
            }
            let values = UnsafeRawPointer(x + index &* 32)
            let (first, second) = (values.load(as: SIMD16<Float>.self), values.load(fromByteOffset: 64, as: SIMD16<Float>.self))
            let largest = Self.largestMagnitude(first, second)
            let inverse: Float = largest > 0 ? Self.unitsPerLargest / largest : 0
            let total = split(first * inverse, into: index &* 32) &+ split(second * inverse, into: index &* 32 &+ 16)
            steps[index] = largest / Self.unitsPerLargest
            corrections[index] = -128 &* Self.sum(total)
        }
    }

    /// A block's largest magnitude in units of `high · 256 + low`: 127 steps of 256.
    private static let unitsPerLargest: Float = 127 * 256

    /// The largest magnitude of 32 finite values, as integers: a float's magnitude is its bits less the sign, and
    /// those order as the magnitudes do. One maximum and one reduction, in vector instructions (Swift's SIMD
    /// `replacing(with:where:)` on halves compiled to lane-by-lane shuffles, a third of this function's time).
    @inline(__always)
    private static func largestMagnitude(_ first: SIMD16<Float>, _ second: SIMD16<Float>) -> Float {
        let a = unsafeBitCast(first, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF
        let b = unsafeBitCast(second, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF
        let larger = Builtin.int_umax_Vec16xInt32(a._storage._value, b._storage._value)
        return Float(bitPattern: UInt32(Builtin.int_vector_reduce_umax_Vec16xInt32(larger)))
    }

    /// Writes 16 values (in units, at most 127 · 256 in magnitude, give or take rounding) rounded to whole units
    /// `u` as `high = ⌊(u + 128) / 256⌋` and `low = u - 256 · high`, both in -128…127; returns the units.
    @inline(__always)
    private func split(_ scaled: SIMD16<Float>, into offset: Int) -> SIMD16<Int32> {
        var units = SIMD16<Int32>()
        units._storage._value = Builtin.fptosi_Vec16xFPIEEE32_Vec16xInt32(scaled.rounded(.toNearestOrEven)._storage._value)
        let whole = (units &+ 128) &>> 8
        UnsafeMutableRawPointer(high + offset).storeBytes(of: Self.bytes(whole), as: SIMD16<Int8>.self)
        UnsafeMutableRawPointer(low + offset).storeBytes(of: Self.bytes(units &- whole &<< 8), as: SIMD16<Int8>.self)
        return units
    }

    /// Integers in -128…127 as bytes, one instruction (`vpmovdb`).
    @inline(__always)
    private static func bytes(_ integers: SIMD16<Int32>) -> SIMD16<Int8> {
        var result = SIMD16<Int8>()
        result._storage._value = Builtin.trunc_Vec16xInt32_Vec16xInt8(integers._storage._value)
        return result
    }

    @inline(__always)
    private static func sum(_ integers: SIMD16<Int32>) -> Int32 {
        Int32(Builtin.int_vector_reduce_add_Vec16xInt32(integers._storage._value))
    }
    #endif

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64).bindMemory(to: Float.self, capacity: count)
    }
}
