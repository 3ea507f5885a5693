import LoomKnowledge
import LoomWorkflow
import Testing

/// One token per whitespace-separated word: chunk arithmetic that can be checked by eye.
struct WordCounter: TokenCounter {
    func count(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
}

struct TextChunkerTests {
    let chunker = TextChunker(maxTokens: 10, overlap: 3, counter: WordCounter())

    @Test func shortTextIsOneChunk() {
        #expect(chunker.split("  just a few words  ") == ["just a few words"])
        #expect(chunker.split("   \n\n ").isEmpty)
    }

    @Test func paragraphsArePackedWholeAndNoChunkIsTooLong() {
        let text = "one two three four.\n\nfive six seven.\n\neight nine ten eleven twelve.\n\nthirteen."
        let chunks = chunker.split(text)
        #expect(chunks.allSatisfy { WordCounter().count($0) <= 10 })
        #expect(chunks.first == "one two three four.\n\nfive six seven.")
        #expect(chunks.joined(separator: " ").contains("thirteen."))
    }

    @Test func chunksOverlapByUpToTheOverlapAndCoverEveryWord() {
        let words = (1...40).map { "w\($0)" }
        let chunks = chunker.split(words.joined(separator: " "))
        #expect(chunks.allSatisfy { WordCounter().count($0) <= 10 })
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let shared = Set(previous.split(separator: " ")).intersection(next.split(separator: " "))
            #expect((1...3).contains(shared.count), "\(previous) | \(next)")
        }
        #expect(Set(chunks.flatMap { $0.split(separator: " ").map(String.init) }) == Set(words))
    }

    @Test func aRunWithoutSeparatorsIsCutByCharacters() {
        let counter = CharacterCounter()
        let chunks = TextChunker(maxTokens: 8, overlap: 0, counter: counter).split(String(repeating: "x", count: 30))
        #expect(chunks.allSatisfy { counter.count($0) <= 8 })
        #expect(chunks.joined() == String(repeating: "x", count: 30))
    }

    @Test func chunksCarryDocumentAndSectionMetadata() throws {
        let document = SourceDocument(
            name: "guide.md",
            content: .sections([.init(text: "# Setup\nInstall it.", metadata: ["headings": .array(["Setup"])])]),
            metadata: ["source": .string("docs")])
        var chunks: [TextChunker.Chunk] = []
        try chunker.chunks(of: document) { chunks.append($0) }
        #expect(chunks.map(\.text) == ["# Setup\nInstall it."])
        #expect(chunks.map(\.tokens) == [4])
        #expect(chunks[0].metadata == ["source": .string("docs"), "headings": .array(["Setup"])])
    }
}

/// One token per character.
struct CharacterCounter: TokenCounter {
    func count(_ text: String) -> Int { text.count }
}
