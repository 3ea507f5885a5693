import Hummingbird
import LoomWorkflow
import NIOCore

/// JSON in and out of the worker's handlers.
enum WorkerJSON {
    static func response(_ value: Value, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(value, sortKeys: false))))
    }

    /// The request's JSON object, read up to `limit` bytes.
    static func object(_ request: Request, limit: Int) async throws -> [String: Value] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw OpenAIError(status: .contentTooLarge, message: "The request body is over \(limit) bytes", type: "invalid_request_error", param: nil, code: nil)
        }
        let text = String(buffer: buffer)
        let document: SourceNode
        do {
            document = try JSONDocumentReader.parse(text)
        } catch {
            throw OpenAIError.invalid("The body is not valid JSON (line \(error.location.line), column \(error.location.column)): \(error.message)")
        }
        guard let object = document.value.objectValue else { throw OpenAIError.invalid("The body must be a JSON object") }
        return object
    }
}
