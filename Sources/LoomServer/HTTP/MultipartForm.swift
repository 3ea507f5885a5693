import Foundation

/// A `multipart/form-data` body (RFC 7578), read whole — callers bound it by the upload limit first — and split
/// into its parts. Dify's clients upload documents this way: a `file` part and a `data` part holding JSON.
struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var content: ArraySlice<UInt8>
    }

    var parts: [Part]

    func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    /// `contentType` is the request's header, which carries the boundary.
    init(body: [UInt8], contentType: String) throws {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty
        else {
            throw APIError.invalidParam("send the document as multipart/form-data (with its boundary), a 'file' part and an optional 'data' part")
        }
        let delimiter = Array("--\(boundary)".utf8)
        let separator = Array("\r\n--\(boundary)".utf8)
        guard var cursor = Self.find(delimiter, in: body, from: 0) else { throw Self.malformed("no part starts with the boundary") }
        cursor += delimiter.count
        var parts: [Part] = []
        while true {
            if body[cursor...].starts(with: Array("--".utf8)) { break }
            guard body[cursor...].starts(with: [13, 10]) else { throw Self.malformed("a boundary is not followed by a line break") }
            cursor += 2
            guard let headersEnd = Self.find([13, 10, 13, 10], in: body, from: cursor) else { throw Self.malformed("a part's headers never end") }
            let headers = String(decoding: body[cursor..<headersEnd], as: UTF8.self)
            let contentStart = headersEnd + 4
            guard let contentEnd = Self.find(separator, in: body, from: contentStart) else {
                throw Self.malformed("a part never ends (the closing boundary is missing; was the body cut short?)")
            }
            var disposition = ""
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                disposition = String(line.dropFirst("content-disposition:".count))
            }
            guard let name = Self.parameter("name", in: disposition) else { throw Self.malformed("a part has no Content-Disposition name") }
            parts.append(Part(name: name, filename: Self.parameter("filename", in: disposition), content: body[contentStart..<contentEnd]))
            cursor = contentEnd + separator.count
        }
        self.parts = parts
    }

    static func malformed(_ why: String) -> APIError {
        APIError.invalidParam("the multipart body is malformed: \(why)")
    }

    /// A header parameter such as `boundary=x` or `filename="a b.txt"`.
    static func parameter(_ key: String, in header: String) -> String? {
        for field in header.split(separator: ";") {
            let pair = field.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    /// Where `needle` first occurs in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            guard let candidate = haystack[index...last].firstIndex(of: first) else { return nil }
            if haystack[candidate..<candidate + needle.count].elementsEqual(needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }
}
