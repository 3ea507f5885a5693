import Foundation
import LoomKnowledge
import LoomWorkflow
import Testing

struct DocumentReaderTests {
    func sections(_ document: SourceDocument) throws -> [SourceDocument.Section] {
        var sections: [SourceDocument.Section] = []
        try document.forEachSection { sections.append($0) }
        return sections
    }

    @Test func markdownSectionsCarryTheirHeadingPath() throws {
        let path = try Scratch.file("guide.md", text: """
            Intro line.

            # Setup
            Install it.
            ## Database
            Start PostgreSQL.
            ```
            # not a heading
            ```
            # Use
            Call it.
            """)
        defer { Scratch.remove(path) }
        let documents = try DocumentReader().read(path)
        #expect(documents.map(\.name) == ["guide.md"])
        let sections = try sections(documents[0])
        #expect(sections.map(\.text) == ["Intro line.", "# Setup\nInstall it.", "## Database\nStart PostgreSQL.\n```\n# not a heading\n```", "# Use\nCall it."])
        #expect(sections.map { $0.metadata["headings"] } == [nil, .array(["Setup"]), .array(["Setup", "Database"]), .array(["Use"])])
    }

    @Test func htmlKeepsTheTextAndTitleOnly() throws {
        let path = try Scratch.file("page.html", text: """
            <html><head><title>Loom &amp; friends</title><style>p { color: red }</style>
            <script>alert("<p>no</p>")</script></head>
            <body><!-- hidden --><h1>Welcome</h1><p>Fish &lt;3 chips&#33;   Really&nbsp;good.</p><ul><li>one</li><li>two</li></ul></body></html>
            """)
        defer { Scratch.remove(path) }
        let document = try #require(try DocumentReader().read(path).first)
        #expect(document.metadata["title"] == .string("Loom & friends"))
        let text = try sections(document).map(\.text)
        // Block elements become paragraphs, which the chunker splits at first.
        #expect(text == ["Welcome\n\nFish <3 chips! Really good.\n\none\n\ntwo"], "\(text)")
    }

    @Test func csvRowsBecomeDocumentsWithTheOtherColumnsAsMetadata() throws {
        let path = try Scratch.file("faq.csv", text: "question,answer,topic\n\"How, exactly?\",\"In two\nlines, \"\"quoted\"\"\",setup\nWhy?,Because.,misc\n")
        defer { Scratch.remove(path) }
        let documents = try DocumentReader(textColumns: ["question", "answer"]).read(path)
        #expect(documents.map(\.name) == ["faq.csv#2", "faq.csv#4"])
        #expect(try sections(documents[0]).map(\.text) == ["How, exactly?\n\nIn two\nlines, \"quoted\""])
        #expect(documents[0].metadata == ["topic": .string("setup")])
    }

    @Test func aCSVRowWithoutATextColumnNamesTheLineAndColumn() throws {
        let path = try Scratch.file("faq.csv", text: "question,answer\nWhy?,Because.\nAnd this\n")
        defer { Scratch.remove(path) }
        #expect(throws: KnowledgeError.missingColumn(file: path, line: 3, column: "answer")) {
            try DocumentReader(textColumns: ["question", "answer"]).read(path)
        }
    }

    @Test func jsonLinesAreRowsAndABrokenLineIsNamed() throws {
        let good = try Scratch.file("rows.jsonl", text: "{\"text\": \"first\", \"lang\": \"en\"}\n\n{\"text\": \"second\", \"n\": 2}\n")
        defer { Scratch.remove(good) }
        let documents = try DocumentReader().read(good)
        #expect(try documents.flatMap { try sections($0).map(\.text) } == ["first", "second"])
        #expect(documents[1].metadata == ["n": .int(2)])
        let bad = try Scratch.file("rows.jsonl", text: "{\"text\": \"first\"}\n{\"text\": oops}\n")
        defer { Scratch.remove(bad) }
        #expect(throws: KnowledgeError.self) { try DocumentReader().read(bad) }
        do {
            _ = try DocumentReader().read(bad)
        } catch {
            #expect(error.description.hasPrefix("\(bad):2: not JSON"))
        }
    }

    @Test func emptyBinaryAndUnknownFilesAreRefusedByName() throws {
        let empty = try Scratch.file("empty.txt", text: "  \n")
        let binary = try Scratch.file("image.txt", Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0x01, 0xFF, 0xFE]))
        let unknown = try Scratch.file("sheet.xlsx", text: "x")
        defer { [empty, binary, unknown].forEach(Scratch.remove) }
        #expect(throws: KnowledgeError.empty(file: empty)) { try DocumentReader().read(empty) }
        #expect(throws: KnowledgeError.binary(file: binary)) { try DocumentReader().read(binary) }
        #expect(throws: KnowledgeError.unsupportedFormat(file: unknown, fileExtension: "xlsx")) { try DocumentReader().read(unknown) }
        #expect(throws: KnowledgeError.self) { try DocumentReader().read("/nonexistent/notes.md") }
    }

    /// A one-page PDF written by hand; poppler rebuilds the missing cross-reference table.
    static let helloPDF = """
        %PDF-1.4
        1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
        2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
        3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
        4 0 obj << /Length 41 >> stream
        BT /F1 18 Tf 20 100 Td (Hello Loom) Tj ET
        endstream endobj
        5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
        trailer << /Root 1 0 R >>
        %%EOF

        """

    @Test func aPDFGivesItsTextAndAnUnreadableOneSaysWhy() throws {
        let pdf = try Scratch.file("hello.pdf", text: Self.helloPDF)
        let broken = try Scratch.file("broken.pdf", text: "this is not a PDF")
        defer { [pdf, broken].forEach(Scratch.remove) }
        #expect(try sections(try DocumentReader().read(pdf)[0]).map(\.text) == ["Hello Loom"])
        #expect {
            try DocumentReader().read(broken)
        } throws: { error in
            if case .pdfTextUnavailable(let file, _) = error as? KnowledgeError { return file == broken }
            return false
        }
    }

    @Test func aFiftyMegabyteTextFileIsReadInBoundedBlocks() throws {
        let paragraph = String(repeating: "Loom reads large files a block at a time. ", count: 24) + "\n\n"
        let count = 50 * (1 << 20) / paragraph.utf8.count + 1
        let path = try Scratch.file("big.txt", Data(String(repeating: paragraph, count: count).utf8))
        defer { Scratch.remove(path) }
        let document = try #require(try DocumentReader().read(path).first)
        #expect(document.content == .textFile(path: path))
        var blocks = 0
        var largest = 0
        var total = 0
        try document.forEachSection { section in
            blocks += 1
            largest = max(largest, section.text.utf8.count)
            total += section.text.utf8.count
            #expect(section.text.hasSuffix("\n\n"))
        }
        #expect(total == count * paragraph.utf8.count)
        #expect(blocks >= 50)
        // A block plus what the block before left after its last paragraph break.
        #expect(largest <= 2 << 20)
    }
}
