import Hummingbird
import LoomWorkflow
import NIOCore

/// JSON in and out, through Loom's own `Value` (no Codable boilerplate per route).
enum JSONResponse {
    static func make(_ value: Value, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(JSONWriter.bytes(value, sortKeys: false))
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }
}

extension Request {
    /// The body as text, refused with 413 beyond `limit` bytes.
    func text(limit: Int) async throws -> String {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "payload_too_large", "the request body is \(length) bytes; at most \(limit) are accepted")
        }
        do {
            var buffer = try await body.collect(upTo: limit)
            return buffer.readString(length: buffer.readableBytes) ?? ""
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "the request body is larger than \(limit) bytes")
        }
    }

    /// The body as a JSON object (an empty body is an empty object).
    func jsonObject(limit: Int) async throws -> [String: Value] {
        let text = try await self.text(limit: limit)
        if text.allSatisfy(\.isWhitespace) { return [:] }
        let value: Value
        do {
            value = try JSONDocumentReader.parse(text).value
        } catch {
            throw APIError.invalidParam("the body is not valid JSON: \(error.message) at line \(error.location.line), column \(error.location.column)")
        }
        guard let object = value.objectValue else { throw APIError.invalidParam("the body must be a JSON object") }
        return object
    }

    /// A query parameter.
    func query(_ name: String) -> String? {
        uri.queryParameters.get(name)
    }
}

extension [String: Value] {
    /// An optional text field, refusing other types.
    func text(_ key: String) throws -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw APIError.invalidParam("'\(key)' must be a string, got \(other.typeName)")
        }
    }

    /// `files`: files by URL (`sys.files`), checked.
    func files() throws -> [Value] {
        do {
            return try GivenFiles.parse(self["files"])
        } catch {
            throw APIError.invalidParam(error.message)
        }
    }

    func object(_ key: String) throws -> [String: Value] {
        switch self[key] {
        case nil, .null?: return [:]
        case .object(let fields)?: return fields
        case let other?: throw APIError.invalidParam("'\(key)' must be an object, got \(other.typeName)")
        }
    }
}
