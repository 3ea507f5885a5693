import Foundation
import Hummingbird
import LoomStore
import LoomWorkflow

/// An error answer in Dify's shape, `{code, message, status}`, with any extra fields (such as the loader's
/// diagnostics).
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var extra: [String: Value] = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, extra: [String: Value] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
    }

    public var body: Value {
        .object(extra.merging(["code": .string(code), "message": .string(message), "status": .int(status.code)]) { _, fixed in fixed })
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(body, status: status)
    }

    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, "unauthorized", message) }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static func invalidParam(_ message: String) -> APIError { APIError(.badRequest, "invalid_param", message) }

    /// The answer for any error a handler throws.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as InputError: return .invalidParam(error.description)
        case let error as UploadScratch.Unreadable: return APIError(.unprocessableContent, "invalid_document", error.description)
        case let error as StoreError:
            switch error {
            case .unavailable(let message): return APIError(.serviceUnavailable, "database_unavailable", message)
            case .appNotFound, .keyNotFound, .datasetNotFound, .jobNotFound, .documentNotFound, .chunkNotFound, .sampleNotFound:
                return .notFound(error.description)
            case .versionNotFound, .datasetVersionNotFound: return APIError(.notFound, "version_not_found", error.description)
            case .nothingToRollBack, .notPublished, .datasetExists, .datasetChanged, .duplicateSample:
                return APIError(.conflict, "conflict", error.description)
            case .invalidDataset, .wrongDatasetKind: return .invalidParam(error.description)
            case .invalidSamples: return APIError(.unprocessableContent, "invalid_samples", error.description)
            case .invalidConfiguration, .migration, .conflict: return APIError(.internalServerError, "internal_error", error.description)
            }
        case let error as HTTPError where error.status == .notFound:
            return .notFound("no such route")
        case let error as HTTPError:
            return APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
        default:
            return APIError(.internalServerError, "internal_error", "\(error)")
        }
    }
}
