#if LOOM_VNNI
import Builtin

/// A Q4_1 or Q8_0 matrix rearranged for AVX-512's 8-bit dot products (VNNI), sixteen rows at a time: one register
/// holds four values of each of sixteen rows, and one `vpdpbusd` multiplies them by four values of a vector,
/// broadcast, adding into each row's lane. A group of rows ends as one vector of sixteen outputs, with no lane sums.
/// Against Float32 blocks this does four times the multiply-adds per instruction, on the port that caps decoding
/// several sequences together (see `BlockBatch` for the vectors' side).
///
/// Per group and block, a record: sixteen scales (halves), sixteen offsets (Q4_1's `m`; unused for Q8_0), then the
/// values, 64 bytes per four values of the sixteen rows: Q4_1 packs two such registers into one (low and high
/// nibbles), Q8_0 stores each value plus 128 (the instruction takes unsigned bytes on this side).
/// Built once when a model loads; the matrix's own blocks stay for dequantising (prefill, training).
final class InterleavedBlocks: @unchecked Sendable {
    // Written in init, then only read, from any thread.
    private let storage: UnsafeMutableRawPointer
    private let nibbles: Bool
    private let blocks: Int
    private let recordBytes: Int

    /// Nil for other types and for row counts that are not whole groups of sixteen.
    init?(_ matrix: WeightMatrix) {
        guard matrix.rows % 16 == 0, matrix.type == .q4_1 || matrix.type == .q8_0 else { return nil }
        nibbles = matrix.type == .q4_1
        blocks = matrix.columns / 32
        recordBytes = 64 + (nibbles ? 256 : 512)
        let groups = matrix.rows / 16
        storage = .allocate(byteCount: groups * blocks * recordBytes, alignment: 64)
        for group in 0..<groups {
            for block in 0..<blocks {
                let record = storage + (group * blocks + block) * recordBytes
                for lane in 0..<16 {
                    let source = matrix.row(group * 16 + lane) + block * matrix.type.block.bytes
                    if nibbles {
                        Self.copyNibbles(source, lane: lane, into: record)
                    } else {
                        Self.copyBytes(source, lane: lane, into: record)
                    }
                }
            }
        }
    }

    deinit { storage.deallocate() }

    /// A Q4_1 block (scale, offset, 16 bytes: values 0–15 in the low nibbles, 16–31 in the high) as lane `lane`:
    /// byte `t` of the lane in the 64-byte chunk `c` holds value `8c + t` low and `8c + 4 + t` high.
    private static func copyNibbles(_ source: UnsafeRawPointer, lane: Int, into record: UnsafeMutableRawPointer) {
        record.storeBytes(of: source.loadUnaligned(as: UInt16.self), toByteOffset: lane * 2, as: UInt16.self)
        record.storeBytes(of: source.loadUnaligned(fromByteOffset: 2, as: UInt16.self), toByteOffset: 32 + lane * 2, as: UInt16.self)
        let packed = (source + 4).assumingMemoryBound(to: UInt8.self)
        func value(_ index: Int) -> UInt8 { index < 16 ? packed[index] & 15 : packed[index - 16] >> 4 }
        for chunk in 0..<4 {
            for t in 0..<4 {
                let byte = value(8 * chunk + t) | value(8 * chunk + 4 + t) << 4
                record.storeBytes(of: byte, toByteOffset: 64 + chunk * 64 + lane * 4 + t, as: UInt8.self)
            }
        }
    }

    /// A Q8_0 block (scale, 32 signed values) as lane `lane`: values `4j…4j+3` in the 64-byte register `j`.
    private static func copyBytes(_ source: UnsafeRawPointer, lane: Int, into record: UnsafeMutableRawPointer) {
        record.storeBytes(of: source.loadUnaligned(as: UInt16.self), toByteOffset: lane * 2, as: UInt16.self)
        let values = (source + 2).assumingMemoryBound(to: UInt8.self)
        for index in 0..<32 {
            record.storeBytes(of: values[index] ^ 0x80, toByteOffset: 64 + (index / 4) * 64 + lane * 4 + index % 4, as: UInt8.self)
        }
    }

    /// `output[v·outputStride + r] = row r · x[v]` for the rows of `groups` and the batch's vectors.
    func multiply(_ batch: BlockBatch, into output: UnsafeMutablePointer<Float>, outputStride: Int, groups: Range<Int>) {
        switch (nibbles, batch.count >= Self.prefetchingCount) {
        case (true, true): multiply(nibbles: true, prefetching: true, batch, into: output, outputStride: outputStride, groups: groups)
        case (true, false): multiply(nibbles: true, prefetching: false, batch, into: output, outputStride: outputStride, groups: groups)
        case (false, true): multiply(nibbles: false, prefetching: true, batch, into: output, outputStride: outputStride, groups: groups)
        case (false, false): multiply(nibbles: false, prefetching: false, batch, into: output, outputStride: outputStride, groups: groups)
        }
    }

    /// Each vector's block is two parts of 8-bit values, `high + low / 256` steps (see `BlockBatch`): their products
    /// are summed apart, then joined as `high · 256 + low` in 32 bits, which holds them (Q8_0 at most
    /// 255 · 127 · 32 · 256 + 255 · 128 · 32, and its correction). Q8_0's 128 added to each value is taken back by
    /// starting the low sum at the vector's `correction`; Q4_1's offsets multiply the vector's block sums, in Float.
    @inline(__always)
    private func multiply(nibbles: Bool, prefetching: Bool, _ batch: BlockBatch, into output: UnsafeMutablePointer<Float>, outputStride: Int, groups: Range<Int>) {
        let (count, lanes, columns) = (batch.count, batch.lanes, blocks &* 32)
        let (high, low, steps, corrections, sums) = (batch.high, batch.low, batch.steps, batch.corrections, batch.sums)
        for group in groups {
            var totals = InlineArray<8, SIMD16<Float>>(repeating: .zero)
            for block in 0..<blocks {
                let record = UnsafeRawPointer(storage + (group &* blocks &+ block) &* recordBytes)
                if prefetching {
                    let ahead = record + Self.prefetchDistance &* recordBytes
                    for line in stride(from: 0, to: recordBytes, by: 64) { Self.prefetch(ahead + line) }
                }
                let scales = Half.floats(record)
                let offsets = nibbles ? Half.floats(record + 32) : .zero
                var weights = InlineArray<8, SIMD16<UInt32>>(repeating: .zero)
                for chunk in 0..<(nibbles ? 4 : 8) {
                    let bytes = record.load(fromByteOffset: 64 &+ chunk &* 64, as: SIMD16<UInt32>.self)
                    if nibbles {
                        weights[2 &* chunk] = bytes & 0x0F0F_0F0F
                        weights[2 &* chunk &+ 1] = (bytes &>> 4) & 0x0F0F_0F0F
                    } else {
                        weights[chunk] = bytes
                    }
                }
                for vector in 0..<count {
                    let at: Int = vector &* columns &+ block &* 32
                    let (highValues, lowValues) = (UnsafeRawPointer(high + at), UnsafeRawPointer(low + at))
                    let index: Int = vector &* blocks &+ block
                    var highSum = SIMD16<Int32>()
                    var lowSum = nibbles ? SIMD16<Int32>() : SIMD16(repeating: corrections[index])
                    for register in 0..<8 {
                        highSum = Self.dot(highSum, weights[register], highValues.load(fromByteOffset: register &* 4, as: Int32.self))
                        lowSum = Self.dot(lowSum, weights[register], lowValues.load(fromByteOffset: register &* 4, as: Int32.self))
                    }
                    var total = totals[vector].addingProduct(Self.float((highSum &<< 8) &+ lowSum), scales * steps[index])
                    if nibbles { total = total.addingProduct(offsets, sums[block &* lanes &+ vector]) }
                    totals[vector] = total
                }
            }
            for vector in 0..<count {
                let at: Int = vector &* outputStride &+ group &* 16
                UnsafeMutableRawPointer(output + at).storeBytes(of: totals[vector], as: SIMD16<Float>.self)
            }
        }
    }

    /// `sum + ` each lane's four unsigned bytes of `weights` · the four signed bytes of `values` (`vpdpbusd`).
    @inline(__always)
    private static func dot(_ sum: SIMD16<Int32>, _ weights: SIMD16<UInt32>, _ values: Int32) -> SIMD16<Int32> {
        var result = SIMD16<Int32>()
        result._storage._value = Builtin.int_x86_avx512_vpdpbusd_512(
            sum._storage._value, weights._storage._value, SIMD16(repeating: values)._storage._value)
        return result
    }

    /// From this many vectors, the kernel asks for the record eight ahead (`prefetchDistance`) while it works on
    /// this one. With eight vectors it waits on arithmetic, yet streaming a model's records from memory without
    /// asking left it short of the rate it reached on records already in cache (a C copy of this loop: 2.68 G
    /// `vpdpbusd`/s over 99 MB of records, 2.97 with the requests, 3.0 in cache). With one or two vectors, which
    /// wait on memory, the requests cost 5-15% (the processor's own prefetching does better there), and four
    /// gained nothing.
    static let prefetchingCount = 5
    static let prefetchDistance = 8

    /// A hint to bring a cache line into the first-level cache (`prefetcht0`); never faults, even past the end.
    @inline(__always)
    private static func prefetch(_ address: UnsafeRawPointer) {
        Builtin.int_prefetch_RawPointer(address._rawValue, Int32(0)._value, Int32(3)._value, Int32(1)._value)
    }

    /// One conversion instruction; Swift's `SIMD16<Float>(_:)` from integers goes lane by lane.
    @inline(__always)
    private static func float(_ integers: SIMD16<Int32>) -> SIMD16<Float> {
        var result = SIMD16<Float>()
        result._storage._value = Builtin.sitofp_Vec16xInt32_Vec16xFPIEEE32(integers._storage._value)
        return result
    }
}
#endif
