/// Finds JSON inside free text, as models often wrap it in prose or code fences.
enum JSONExtraction {
    static func firstObject(in text: String) -> Value? {
        let characters = Array(text.utf8)
        var start = characters.firstIndex(of: UInt8(ascii: "{"))
        while let begin = start {
            if let end = matchingBrace(characters, from: begin),
                let value = try? JSONDocumentReader.parse(String(decoding: characters[begin...end], as: UTF8.self)).value
            {
                return value
            }
            start = characters[(begin + 1)...].firstIndex(of: UInt8(ascii: "{"))
        }
        return nil
    }

    private static func matchingBrace(_ bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for index in start..<bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }
}
