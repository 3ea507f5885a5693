/// Turns token bytes into text as tokens arrive, holding back an incomplete UTF-8 sequence until its last byte
/// comes (a character may be split over two tokens).
public struct UTF8Stream: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    public mutating func append(_ bytes: [UInt8]) -> String {
        pending += bytes
        var complete = pending.count
        // Find where a trailing incomplete sequence starts, if any (at most 3 bytes back).
        var back = 1
        while back <= min(3, pending.count) {
            let byte = pending[pending.count - back]
            if byte & 0xC0 != 0x80 {
                let needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                if needed > back { complete = pending.count - back }
                break
            }
            back += 1
        }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is left, with replacement characters for bytes that never completed.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }
}
