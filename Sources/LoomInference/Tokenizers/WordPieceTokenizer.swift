import Foundation

/// BERT's tokenizer: clean the text, isolate CJK characters, lower-case and strip accents, split on whitespace and
/// punctuation, then cut each word into the longest vocabulary pieces (`##` marks a continuation).
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String]
    private let ids: [String: Int]
    public let unknown: Int
    public let classification: Int
    public let separator: Int
    public let padding: Int
    static let maxWordCharacters = 100

    /// Reads `vocab.txt` (one piece per line, the line number is the id).
    public init(vocabularyFile path: String) throws(ModelFileError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelFileError.unreadable(path, "no such file") }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0)
        }
        try self.init(vocabulary: lines.last == "" ? Array(lines.dropLast()) : lines, source: path)
    }

    public init(vocabulary: [String], source: String = "vocabulary") throws(ModelFileError) {
        self.vocabulary = vocabulary
        var ids: [String: Int] = [:]
        for (id, piece) in vocabulary.enumerated() where ids[piece] == nil { ids[piece] = id }
        self.ids = ids
        guard let unknown = ids["[UNK]"], let cls = ids["[CLS]"], let sep = ids["[SEP]"] else {
            throw ModelFileError.malformed(source, "the vocabulary lacks [UNK], [CLS] or [SEP]")
        }
        self.unknown = unknown
        self.classification = cls
        self.separator = sep
        self.padding = ids["[PAD]"] ?? 0
    }

    /// `[CLS] pieces… [SEP]`, at most `maxLength` ids in all.
    public func encode(_ text: String, maxLength: Int = 256) -> [Int] {
        var result = [classification]
        for word in words(text) {
            result += pieces(word)
            if result.count >= maxLength - 1 { break }
        }
        return Array(result.prefix(maxLength - 1)) + [separator]
    }

    func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)) }
            current = String.UnicodeScalarView()
        }
        for scalar in normalize(text).unicodeScalars {
            if scalar.properties.isWhitespace {
                flush()
            } else if Self.isPunctuation(scalar) || Self.isCJK(scalar) {
                flush()
                words.append(String(scalar))
            } else {
                current.append(scalar)
            }
        }
        flush()
        return words
    }

    /// Clean control characters, lower-case, strip accents (NFD, then drop combining marks).
    private func normalize(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD { continue }
            if scalar == "\t" || scalar == "\n" || scalar == "\r" {
                cleaned.append(" ")
                continue
            }
            switch scalar.properties.generalCategory {
            case .control, .format: continue
            default: cleaned.append(scalar)
            }
        }
        let lowered = String(cleaned).lowercased().decomposedStringWithCanonicalMapping
        return String(String.UnicodeScalarView(lowered.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }))
    }

    private func pieces(_ word: String) -> [Int] {
        let characters = Array(word.unicodeScalars)
        guard characters.count <= Self.maxWordCharacters else { return [unknown] }
        var result: [Int] = []
        var start = 0
        while start < characters.count {
            var end = characters.count
            var found: Int?
            while start < end {
                let piece = (start > 0 ? "##" : "") + String(String.UnicodeScalarView(characters[start..<end]))
                if let id = ids[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else { return [unknown] }
            result.append(found)
            start = end
        }
        return result
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
            .otherPunctuation:
            return true
        default: return false
        }
    }

    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F, 0x2B820...0x2CEAF,
            0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
