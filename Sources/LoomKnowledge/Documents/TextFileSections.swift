import Foundation

/// A UTF-8 text file in blocks of about `blockSize` bytes, each cut after a paragraph break (or a line break, or
/// between characters when a block has neither), so a 50 MB file never sits in memory whole.
public struct TextFileSections {
    public let path: String
    public var blockSize = 1 << 20

    public init(path: String) {
        self.path = path
    }

    public func forEach(_ body: (String) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KnowledgeError.unreadable(file: path, reason: "no such file, or no permission")
        }
        defer { try? handle.close() }
        var pending = Data()
        while true {
            let block = (try? handle.read(upToCount: blockSize)) ?? nil
            let atEnd = block?.isEmpty ?? true
            if let block { pending.append(block) }
            if pending.isEmpty { return }
            let cut = atEnd ? pending.count : Self.cut(pending)
            let piece = pending.prefix(cut)
            pending = Data(pending.dropFirst(cut))
            guard let text = String(data: piece, encoding: .utf8) else {
                throw KnowledgeError.unreadable(file: path, reason: "not valid UTF-8 text")
            }
            try body(text)
            if atEnd && pending.isEmpty { return }
        }
    }

    /// Where to end a block: after the last blank line, else the last newline, else before a UTF-8 continuation.
    static func cut(_ data: Data) -> Int {
        let bytes = [UInt8](data)
        var newline: Int?
        for index in stride(from: bytes.count - 1, to: 0, by: -1) where bytes[index] == 0x0A {
            if bytes[index - 1] == 0x0A { return index + 1 }
            if newline == nil { newline = index + 1 }
        }
        if let newline { return newline }
        // No line break at all: cut at the end, unless that splits the last character.
        var lead = bytes.count - 1
        while lead > 0 && bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        let length = bytes[lead] < 0x80 ? 1 : bytes[lead] >= 0xF0 ? 4 : bytes[lead] >= 0xE0 ? 3 : 2
        return lead + length <= bytes.count || lead == 0 ? bytes.count : lead
    }
}
