/// Writes `Value`s as JSON, byte by byte. Keys are sorted so equal values always give equal text (canonical form);
/// `sortKeys: false` skips that for JSON only machines read (responses, rows for the database).
public enum JSONWriter {
    public static func string(_ value: Value, pretty: Bool = false, sortKeys: Bool = true) -> String {
        String(decoding: bytes(value, pretty: pretty, sortKeys: sortKeys), as: UTF8.self)
    }

    public static func bytes(_ value: Value, pretty: Bool = false, sortKeys: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, into: &out, indent: pretty ? 0 : nil, sortKeys: sortKeys)
        return out
    }

    private static func write(_ value: Value, into out: inout [UInt8], indent: Int?, sortKeys: Bool) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): writeInteger(number, into: &out)
        case .double(let number):
            if let integer = integral(number) {
                writeInteger(integer, into: &out)
            } else {
                out.append(contentsOf: format(number).utf8)
            }
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            if items.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for index in items.indices {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                write(items[index], into: &out, indent: indent.map { $0 + 1 }, sortKeys: sortKeys)
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            if fields.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            var first = true
            // Unsorted, the dictionary is walked in place: copying its entries into an array first retained and
            // released every key and value.
            if sortKeys {
                for entry in fields.sorted(by: { $0.key < $1.key }) {
                    writeField(entry.key, entry.value, first: &first, into: &out, indent: indent, sortKeys: sortKeys)
                }
            } else {
                for (key, value) in fields { writeField(key, value, first: &first, into: &out, indent: indent, sortKeys: sortKeys) }
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeField(_ key: String, _ value: Value, first: inout Bool, into out: inout [UInt8], indent: Int?, sortKeys: Bool) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        newline(&out, indent.map { $0 + 1 })
        writeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        if indent != nil { out.append(UInt8(ascii: " ")) }
        write(value, into: &out, indent: indent.map { $0 + 1 }, sortKeys: sortKeys)
    }

    /// Decimal digits straight into the output, without a `String` in between.
    private static func writeInteger(_ number: Int, into out: inout [UInt8]) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int?) {
        guard let indent else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    /// Integral doubles print without a fraction; non-finite numbers have no JSON form and print as null.
    static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if let integer = integral(number) { return String(integer) }
        return "\(number)"
    }

    /// The integer an integral double prints as (below 1e15, where integers are exact); nil for any other.
    private static func integral(_ number: Double) -> Int? {
        number.isFinite && number == number.rounded() && abs(number) < 1e15 ? Int(number) : nil
    }

    /// Copies runs of bytes that need no escaping in one go; UTF-8 beyond ASCII passes through unchanged.
    private static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: "u00".utf8)
                    out.append(Hex.digits[Int(byte >> 4)])
                    out.append(Hex.digits[Int(byte & 0xF)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
