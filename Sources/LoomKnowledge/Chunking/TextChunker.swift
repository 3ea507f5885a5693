import Foundation
import LoomWorkflow

/// Splits text into chunks of at most `maxTokens` tokens that overlap by about `overlap` tokens, the way Dify's
/// and LangChain's recursive splitter does: at the coarsest separator the text has (paragraphs, then lines, then
/// sentences, then words), going finer only for pieces still too long, then packing neighbouring pieces together.
public struct TextChunker: Sendable {
    public struct Chunk: Sendable, Equatable {
        public var text: String
        public var tokens: Int
        public var metadata: [String: Value]
    }

    public var maxTokens: Int
    public var overlap: Int
    public var separators: [String]
    let counter: any TokenCounter

    public static let defaultSeparators = ["\n\n", "\n", ". ", "。", "; ", ", ", " "]

    public init(maxTokens: Int = 500, overlap: Int = 50, separators: [String] = TextChunker.defaultSeparators, counter: any TokenCounter) {
        precondition(maxTokens > 0 && overlap >= 0 && overlap < maxTokens, "overlap must be smaller than the chunk size")
        self.maxTokens = maxTokens
        self.overlap = overlap
        self.separators = separators
        self.counter = counter
    }

    /// The chunks of a document, section by section; each carries the document's and its section's metadata.
    public func chunks(of document: SourceDocument, _ body: (Chunk) throws -> Void) throws {
        try document.forEachSection { section in
            let metadata = document.metadata.merging(section.metadata) { _, section in section }
            for text in split(section.text) {
                try body(Chunk(text: text, tokens: counter.count(text), metadata: metadata))
            }
        }
    }

    /// The text's chunks, trimmed; none is empty.
    public func split(_ text: String) -> [String] {
        var chunks: [String] = []
        pack(pieces(Substring(text), separators[...]), into: &chunks)
        return chunks
    }

    /// The text cut into pieces of at most `maxTokens` each, separators kept at the end of the piece before them.
    func pieces(_ text: Substring, _ separators: ArraySlice<String>) -> [(text: Substring, tokens: Int)] {
        let tokens = counter.count(String(text))
        if tokens <= maxTokens { return [(text, tokens)] }
        guard let separator = separators.first(where: { text.contains($0) }) else { return hardSplit(text) }
        let finer = separators.drop { $0 != separator }.dropFirst()
        var result: [(Substring, Int)] = []
        var rest = text
        while let range = rest.range(of: separator) {
            result += pieces(rest[..<range.upperBound], finer)
            rest = rest[range.upperBound...]
        }
        if !rest.isEmpty { result += pieces(rest, finer) }
        return result
    }

    /// A run with no separator at all, cut by characters into pieces that fit.
    func hardSplit(_ text: Substring) -> [(text: Substring, tokens: Int)] {
        var result: [(Substring, Int)] = []
        var rest = text
        while !rest.isEmpty {
            var length = rest.count
            var piece = rest
            var tokens = counter.count(String(piece))
            while tokens > maxTokens && length > 1 {
                length = max(1, length * maxTokens / max(tokens, 1) * 9 / 10)
                piece = rest.prefix(length)
                tokens = counter.count(String(piece))
            }
            result.append((piece, tokens))
            rest = rest.dropFirst(piece.count)
        }
        return result
    }

    /// Packs neighbouring pieces into chunks up to `maxTokens`; each new chunk starts with the last pieces of the
    /// one before, up to `overlap` tokens of them.
    func pack(_ pieces: [(text: Substring, tokens: Int)], into chunks: inout [String]) {
        var window: [(text: Substring, tokens: Int)] = []
        var total = 0
        func emit() {
            let text = window.map(\.text).joined().trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { chunks.append(text) }
        }
        for piece in pieces {
            if total + piece.tokens > maxTokens && !window.isEmpty {
                emit()
                while !window.isEmpty && (total > overlap || total + piece.tokens > maxTokens) {
                    total -= window.removeFirst().tokens
                }
            }
            window.append(piece)
            total += piece.tokens
        }
        if !window.isEmpty { emit() }
    }
}
