import LoomWorkflow

/// One document as read from a file or given as text: its name within the dataset, and its text in sections, each
/// with the metadata its chunks carry (a Markdown section's headings, a CSV row's other columns). A large plain
/// text file is not read here: its sections come block by block from the file while it is chunked.
public struct SourceDocument: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        public var text: String
        public var metadata: [String: Value]

        public init(text: String, metadata: [String: Value] = [:]) {
            self.text = text
            self.metadata = metadata
        }
    }

    public enum Content: Sendable, Equatable {
        case sections([Section])
        /// A UTF-8 text file, read in blocks cut at paragraph boundaries (`TextFileSections`).
        case textFile(path: String)
    }

    public var name: String
    public var content: Content
    public var metadata: [String: Value]

    public init(name: String, content: Content, metadata: [String: Value] = [:]) {
        self.name = name
        self.content = content
        self.metadata = metadata
    }

    public init(name: String, text: String, metadata: [String: Value] = [:]) {
        self.init(name: name, content: .sections([Section(text: text)]), metadata: metadata)
    }

    /// Markdown text, in sections at its headings (see `DocumentReader`).
    public static func markdown(name: String, text: String, metadata: [String: Value] = [:]) -> SourceDocument {
        SourceDocument(name: name, content: .sections(MarkdownSections.split(text)), metadata: metadata)
    }

    /// Calls `body` with each section in order; a text file is read a block at a time.
    public func forEachSection(_ body: (Section) throws -> Void) throws {
        switch content {
        case .sections(let sections): try sections.forEach(body)
        case .textFile(let path): try TextFileSections(path: path).forEach { try body(Section(text: $0)) }
        }
    }
}
