/// A strict JSON parser (RFC 8259) that keeps line and column for every value.
public struct JSONDocumentReader {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0
    private static let maximumDepth = 256

    public static func parse(_ text: String) throws(DocumentSyntaxError) -> SourceNode {
        var reader = JSONDocumentReader(bytes: Array(text.utf8))
        reader.skipWhitespace()
        let node = try reader.readValue()
        reader.skipWhitespace()
        if reader.offset < reader.bytes.count {
            throw reader.error("unexpected \(reader.describeCurrent()) after the end of the JSON value")
        }
        return node
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var location: SourceLocation {
        // Columns count characters, not bytes: skip UTF-8 continuation bytes.
        var column = 1
        var index = lineStart
        while index < offset {
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return SourceLocation(line: line, column: column)
    }

    private func error(_ message: String) -> DocumentSyntaxError {
        DocumentSyntaxError(message: message, location: location)
    }

    private func describeCurrent() -> String {
        guard offset < bytes.count else { return "end of input" }
        let byte = bytes[offset]
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0D: offset += 1
            case 0x0A:
                offset += 1
                line += 1
                lineStart = offset
            default: return
            }
        }
    }

    private mutating func readValue() throws(DocumentSyntaxError) -> SourceNode {
        guard offset < bytes.count else { throw error("unexpected end of input, expected a value") }
        let start = location
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "\""): return SourceNode(.scalar(.string(try readString())), at: start)
        case UInt8(ascii: "t"): try expectWord("true"); return SourceNode(.scalar(.bool(true)), at: start)
        case UInt8(ascii: "f"): try expectWord("false"); return SourceNode(.scalar(.bool(false)), at: start)
        case UInt8(ascii: "n"): try expectWord("null"); return SourceNode(.scalar(.null), at: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return SourceNode(.scalar(try readNumber()), at: start)
        default:
            throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func enter() throws(DocumentSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func readObject() throws(DocumentSyntaxError) -> SourceNode {
        let start = location
        try enter()
        offset += 1
        var entries: [SourceEntry] = []
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return SourceNode(.mapping(entries), at: start)
        }
        while true {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                throw error("expected a quoted key, found \(describeCurrent())")
            }
            let keyLocation = location
            let key = try readString()
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
                throw error("expected ':' after key \"\(key)\", found \(describeCurrent())")
            }
            offset += 1
            skipWhitespace()
            let value = try readValue()
            entries.append(SourceEntry(key: key, keyLocation: keyLocation, value: value))
            skipWhitespace()
            guard offset < bytes.count else { throw error("unexpected end of input, expected ',' or '}'") }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            if bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                depth -= 1
                return SourceNode(.mapping(entries), at: start)
            }
            throw error("expected ',' or '}', found \(describeCurrent())")
        }
    }

    private mutating func readArray() throws(DocumentSyntaxError) -> SourceNode {
        let start = location
        try enter()
        offset += 1
        var items: [SourceNode] = []
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return SourceNode(.sequence(items), at: start)
        }
        while true {
            skipWhitespace()
            items.append(try readValue())
            skipWhitespace()
            guard offset < bytes.count else { throw error("unexpected end of input, expected ',' or ']'") }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            if bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                depth -= 1
                return SourceNode(.sequence(items), at: start)
            }
            throw error("expected ',' or ']', found \(describeCurrent())")
        }
    }

    private mutating func expectWord(_ word: StaticString) throws(DocumentSyntaxError) {
        let expected = word.withUTF8Buffer { Array($0) }
        guard offset + expected.count <= bytes.count, Array(bytes[offset..<offset + expected.count]) == expected else {
            throw error("unexpected \(describeCurrent()), expected a value")
        }
        offset += expected.count
    }

    private mutating func readNumber() throws(DocumentSyntaxError) -> Value {
        let start = offset
        var isInteger = true
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw error("a number needs digits") }
        if bytes[offset] == UInt8(ascii: "0"), offset + 1 < bytes.count, isDigit(bytes[offset + 1]) {
            throw error("numbers may not have leading zeros")
        }
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw error("expected digits after '.'") }
            while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            isInteger = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            guard offset < bytes.count, isDigit(bytes[offset]) else { throw error("expected digits in the exponent") }
            while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if isInteger, let integer = Int(text) { return .int(integer) }
        guard let number = Double(text) else { throw error("number \(text) is out of range") }
        return .double(number)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func readString() throws(DocumentSyntaxError) -> String {
        offset += 1
        var scalars = String.UnicodeScalarView()
        var runStart = offset
        func flush(_ end: Int) {
            if end > runStart {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
        }
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                flush(offset)
                offset += 1
                return String(scalars)
            }
            if byte < 0x20 {
                throw error(byte == 0x0A ? "unterminated string (a raw line break inside a string)" : "control character inside a string must be escaped")
            }
            if byte == UInt8(ascii: "\\") {
                flush(offset)
                offset += 1
                guard offset < bytes.count else { break }
                switch bytes[offset] {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try readHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard offset + 2 < bytes.count, bytes[offset + 1] == UInt8(ascii: "\\"), bytes[offset + 2] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        offset += 2
                        let low = try readHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate in \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                    scalars.append(scalar)
                default:
                    throw error("invalid escape sequence \\\(Character(Unicode.Scalar(bytes[offset])))")
                }
                offset += 1
                runStart = offset
                continue
            }
            offset += 1
        }
        throw error("unterminated string")
    }

    /// Reads the four hex digits after `\u`, leaving `offset` on the last one.
    private mutating func readHex4() throws(DocumentSyntaxError) -> UInt32 {
        guard offset + 4 < bytes.count else { throw error("incomplete \\u escape") }
        var code: UInt32 = 0
        for index in offset + 1...offset + 4 {
            guard let digit = hexValue(bytes[index]) else { throw error("invalid hex digit in \\u escape") }
            code = code * 16 + digit
        }
        offset += 4
        return code
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
