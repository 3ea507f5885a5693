import Foundation
import Synchronization

/// GPT-2 style byte-level BPE, driven by a GGUF's vocabulary and merges: special tokens are matched first, the
/// rest is split by the pre-tokenizer, mapped to GPT-2's printable byte alphabet, and merged pair by pair in rank
/// order.
public final class ByteLevelBPE: Sendable {
    public enum PreTokenizer: String, Sendable {
        /// GPT-2's split.
        case gpt2
        /// SmolLM: every digit on its own, then GPT-2's split.
        case smollm
    }

    public let tokens: [String]
    private let ids: [String: Int]
    private let ranks: [Pair: Int]
    /// Special tokens, longest first, so that a prefix never wins over the whole.
    private let specials: [(text: [UInt8], id: Int)]
    private let preTokenizer: PreTokenizer
    private let cache = Mutex<[String: [Int]]>([:])

    private struct Pair: Hashable {
        var left: String
        var right: String
    }

    public init(tokens: [String], merges: [String], specialIds: [Int], preTokenizer: PreTokenizer) {
        self.tokens = tokens
        var ids: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = id }
        self.ids = ids
        var ranks: [Pair: Int] = [:]
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            ranks[Pair(left: String(parts[0]), right: String(parts[1]))] = rank
        }
        self.ranks = ranks
        self.specials = specialIds.map { (Array(tokens[$0].utf8), $0) }.sorted { $0.0.count > $1.0.count }
        self.preTokenizer = preTokenizer
    }

    public var vocabularySize: Int { tokens.count }

    public func id(of token: String) -> Int? { ids[token] }

    /// Token ids for `text`; special tokens in the text are recognised when `parseSpecial` is set.
    public func encode(_ text: String, parseSpecial: Bool = true) -> [Int] {
        var result: [Int] = []
        let bytes = Array(text.utf8)
        var start = 0
        var index = 0
        while index < bytes.count {
            if parseSpecial, bytes[index] == UInt8(ascii: "<"),
                let special = specials.first(where: { matches($0.text, in: bytes, at: index) })
            {
                encodePlain(bytes[start..<index], into: &result)
                result.append(special.id)
                index += special.text.count
                start = index
            } else {
                index += 1
            }
        }
        encodePlain(bytes[start..<bytes.count], into: &result)
        return result
    }

    private func matches(_ needle: [UInt8], in bytes: [UInt8], at index: Int) -> Bool {
        guard index + needle.count <= bytes.count else { return false }
        for offset in 0..<needle.count where bytes[index + offset] != needle[offset] { return false }
        return true
    }

    private func encodePlain(_ bytes: ArraySlice<UInt8>, into result: inout [Int]) {
        guard !bytes.isEmpty else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        for piece in PreTokenizerSplit.split(text, digitsApart: preTokenizer == .smollm) {
            if let cached = cache.withLock({ $0[piece] }) {
                result += cached
                continue
            }
            let encoded = merge(piece)
            cache.withLock { cache in
                if cache.count > 50_000 { cache.removeAll() }
                cache[piece] = encoded
            }
            result += encoded
        }
    }

    /// Applies merges to one pre-token, lowest rank first.
    private func merge(_ piece: String) -> [Int] {
        var symbols = piece.utf8.map { ByteAlphabet.character(for: $0) }
        while symbols.count > 1 {
            var best: (rank: Int, index: Int)?
            for index in 0..<(symbols.count - 1) {
                if let rank = ranks[Pair(left: symbols[index], right: symbols[index + 1])], rank < best?.rank ?? .max {
                    best = (rank, index)
                }
            }
            guard let best else { break }
            let merged = symbols[best.index] + symbols[best.index + 1]
            var next: [String] = []
            next.reserveCapacity(symbols.count)
            var index = 0
            while index < symbols.count {
                if index < symbols.count - 1, symbols[index] + symbols[index + 1] == merged,
                    ranks[Pair(left: symbols[index], right: symbols[index + 1])] == best.rank
                {
                    next.append(merged)
                    index += 2
                } else {
                    next.append(symbols[index])
                    index += 1
                }
            }
            symbols = next
        }
        return symbols.flatMap { symbol -> [Int] in
            if let id = ids[symbol] { return [id] }
            // A symbol outside the vocabulary: fall back to its single bytes, which every byte-level vocabulary has.
            return symbol.map { ids[String($0)] ?? 0 }
        }
    }

    /// Control tokens such as `<|im_start|>`: never part of ordinary text.
    public func isSpecial(_ id: Int) -> Bool {
        specials.contains { $0.id == id }
    }

    /// The bytes a token stands for (special tokens: their text).
    public func bytes(of id: Int) -> [UInt8] {
        guard id >= 0, id < tokens.count else { return [] }
        if specials.contains(where: { $0.id == id }) { return Array(tokens[id].utf8) }
        return tokens[id].unicodeScalars.compactMap { ByteAlphabet.byte(for: $0) }
    }

    public func decode(_ ids: [Int]) -> String {
        String(decoding: ids.flatMap(bytes(of:)), as: UTF8.self)
    }
}

/// GPT-2's reversible map from bytes to printable characters.
enum ByteAlphabet {
    static let characters: [String] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var codes = printable
        var extra = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
        }
        var table = Array(repeating: "", count: 256)
        for (byte, code) in zip(printable, codes) { table[byte] = String(Unicode.Scalar(UInt32(code))!) }
        return table
    }()

    static let bytes: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, character) in characters.enumerated() { map[character.unicodeScalars.first!.value] = UInt8(byte) }
        return map
    }()

    @inline(__always)
    static func character(for byte: UInt8) -> String { characters[Int(byte)] }

    static func byte(for scalar: Unicode.Scalar) -> UInt8? { bytes[scalar.value] }
}
