import Foundation
import LoomWorkflow

/// Markdown split at its ATX headings (`#` … `######`, outside fenced code): each section keeps its heading line
/// and carries the path of headings above it as `headings` metadata, so a chunk knows where it came from.
enum MarkdownSections {
    static func split(_ markdown: String) -> [SourceDocument.Section] {
        var sections: [SourceDocument.Section] = []
        var path: [(level: Int, title: String)] = []
        var lines: [Substring] = []
        var fence: Substring?
        func flush() {
            let text = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty {
                let metadata: [String: Value] = path.isEmpty ? [:] : ["headings": .array(path.map { .string($0.title) })]
                sections.append(.init(text: text, metadata: metadata))
            }
            lines = []
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
            } else if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = trimmed.prefix(3)
            } else if let heading = heading(line) {
                flush()
                path.removeAll { $0.level >= heading.level }
                path.append(heading)
            }
            lines.append(line)
        }
        flush()
        return sections
    }

    static func heading(_ line: Substring) -> (level: Int, title: String)? {
        let level = line.prefix { $0 == "#" }.count
        guard (1...6).contains(level), line.dropFirst(level).first == " " else { return nil }
        let title = line.dropFirst(level).trimmingCharacters(in: .whitespaces)
        return (level, String(title.reversed().drop { $0 == "#" || $0 == " " }.reversed()))
    }
}
