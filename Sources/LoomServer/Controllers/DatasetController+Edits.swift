import Foundation
import Hummingbird
import LoomStore
import LoomWorkflow

/// Changes that make a new dataset version without an import: roll back, remove a document, edit a chunk.
extension DatasetController {
    var editor: DatasetEditor { DatasetEditor(store: store, embedder: models) }

    static func chunk(_ chunk: ChunkRecord) -> Value {
        [
            "id": .int(Int(chunk.id)), "document": .string(chunk.document), "position": .int(chunk.position), "content": .string(chunk.content),
            "tokens": .int(chunk.tokens), "metadata": .object(chunk.metadata),
        ]
    }

    /// `{version?}`: a new version holding what that version held (default: the one before the latest).
    func rollback(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let name = try name(context)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        let target: Int? = try body["version"].flatMap { value in
            if value.isNull { return nil }
            guard case .int(let number) = value else { throw APIError.invalidParam("'version' must be an integer") }
            return number
        }
        return JSONResponse.make(["dataset": .string(name), "version": .int(try await store.datasets.rollback(name, to: target))])
    }

    /// A new version without the document.
    func removeDocument(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let name = try name(context)
        let version = try await store.datasets.removeDocuments(name, documents: [try context.documentName("document")])
        return JSONResponse.make(["dataset": .string(name), "version": .int(version)])
    }

    /// The document's chunks in the latest version.
    func documentChunks(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await store.datasets.get(try name(context))
        let chunks = try await editor.chunks(of: dataset, document: try context.documentName("document"))
        return JSONResponse.make(["version": .int(dataset.latestVersion), "data": .array(chunks.map(Self.chunk))])
    }

    /// `{content}`: the chunk's new text, re-embedded, as a new version; the answer is the chunk with its new id.
    func editChunk(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        guard let id = context.parameters.get("chunk").flatMap(Int64.init) else { throw APIError.notFound("no chunk id in the path") }
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let content = try body.text("content") else { throw APIError.invalidParam("'content' is required") }
        let dataset = try await store.datasets.get(try name(context))
        let edited = try await editor.editChunk(of: dataset, document: try context.documentName("document"), chunk: id, content: content)
        return JSONResponse.make(["dataset": .string(dataset.name), "version": .int(edited.version), "chunk": Self.chunk(edited.chunk)])
    }
}
