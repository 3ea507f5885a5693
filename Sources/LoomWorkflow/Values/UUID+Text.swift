import Foundation

extension UUID {
    /// The canonical text form in lower case (`123e4567-e89b-…`), as ids appear in Loom's JSON and URLs.
    /// Written directly: Foundation's `uuidString` goes through `snprintf`, a few percent of a request's time.
    public var lowercasedString: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                var at = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    text[at] = Hex.digits[Int(byte >> 4)]
                    text[at + 1] = Hex.digits[Int(byte & 15)]
                    at += 2
                }
                return at
            }
        }
    }
}
