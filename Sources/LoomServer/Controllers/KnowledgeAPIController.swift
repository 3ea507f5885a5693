import Foundation
import Hummingbird
import LoomStore
import LoomWorkflow

/// Dify's knowledge API at `/v1/datasets`, for its clients, with a dataset key (or the admin token). A dataset's
/// id is its name; a document's id is its name in the dataset; an indexing batch is an import job.
struct KnowledgeAPIController: Sendable {
    let auth: Authenticator
    let store: Store
    let datasets: DatasetController
    let configuration: ServerConfiguration

    /// The knowledge dataset the path names: Dify's knowledge API does not reach samples datasets.
    private func dataset(_ context: LoomRequestContext) async throws -> DatasetRecord {
        guard let name = context.parameters.get("dataset_id") else { throw APIError.notFound("no dataset in the path") }
        let dataset = try await store.datasets.get(name)
        guard dataset.kind == .knowledge else { throw StoreError.datasetNotFound(name) }
        return dataset
    }

    /// Dify's dataset object; word_count counts the embedding model's tokens.
    static func datasetValue(_ dataset: DatasetRecord, size: (documents: Int, tokens: Int)?) -> Value {
        [
            "id": .string(dataset.name), "name": .string(dataset.name), "description": .string(dataset.description), "permission": "only_me",
            "indexing_technique": "high_quality", "document_count": .int(size?.documents ?? 0), "word_count": .int(size?.tokens ?? 0),
            "embedding_model": .string(dataset.embeddingModel), "embedding_model_provider": "loom", "embedding_available": true,
            "created_at": .int(Int(dataset.createdAt.timeIntervalSince1970)), "latest_version": .int(dataset.latestVersion),
        ]
    }

    /// Dify's page envelope over a whole list: `?page=` from 1, `?limit=` up to 100 (default 20).
    static func page(_ items: [Value], _ request: Request) -> Value {
        let limit = min(max(request.query("limit").flatMap(Int.init) ?? 20, 1), 100)
        let page = max(request.query("page").flatMap(Int.init) ?? 1, 1)
        let start = min((page - 1) * limit, items.count)
        let end = min(start + limit, items.count)
        return ["data": .array(Array(items[start..<end])), "has_more": .bool(end < items.count), "limit": .int(limit), "total": .int(items.count), "page": .int(page)]
    }

    func create(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let name = try body.text("name") else { throw APIError.invalidParam("'name' is required") }
        let dataset = try await datasets.create(
            name: name, description: try body.text("description") ?? "", model: try body.text("embedding_model") ?? DatasetController.defaultEmbeddingModel,
            chunkTokens: 500, overlap: 50)
        return JSONResponse.make(Self.datasetValue(dataset, size: nil))
    }

    func list(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let list = try await store.datasets.list().filter { $0.kind == .knowledge }
        let sizes = try await store.datasets.sizes(of: list.map(\.id))
        return JSONResponse.make(Self.page(list.map { Self.datasetValue($0, size: sizes[$0.id]) }, request))
    }

    func delete(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        try await store.datasets.delete(try await dataset(context).name)
        return Response(status: .noContent)
    }

    func show(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let dataset = try await dataset(context)
        return JSONResponse.make(Self.datasetValue(dataset, size: try await store.datasets.sizes(of: [dataset.id])[dataset.id]))
    }

    /// `{name, text}`: stored as a text document and imported by a job; `batch` is the job to follow.
    func createByText(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let dataset = try await dataset(context)
        let body = try await request.jsonObject(limit: configuration.maxUploadBytes)
        guard let name = try body.text("name"), !name.isEmpty else { throw APIError.invalidParam("'name' is required") }
        guard let text = try body.text("text"), !text.allSatisfy(\.isWhitespace) else { throw APIError.invalidParam("'text' is required and must not be blank") }
        let upload = try await store.uploads.store(dataset: dataset, name: name, content: text.utf8)
        let job = try await datasets.queueImport(dataset, uploads: [upload], columns: ["text"], message: "create-by-text \(name)", plainText: true)
        return Self.queued(document: name, job: job)
    }

    /// Multipart: a `file` part (its file name names the document and its extension picks the reader) and an optional
    /// `data` part of JSON, from which Loom reads `text_columns` for CSV and JSONL (Dify's processing rules do not apply).
    func createByFile(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let dataset = try await dataset(context)
        var body: [UInt8] = []
        try await DatasetController.receive(request.body, limit: configuration.maxUploadBytes) { body += $0.readableBytesView }
        let form = try MultipartForm(body: body, contentType: request.headers[.contentType] ?? "")
        guard let file = form.part("file"), let filename = file.filename.map({ ($0 as NSString).lastPathComponent }), !filename.isEmpty else {
            throw APIError.invalidParam("a 'file' part with a filename is required")
        }
        guard !file.content.isEmpty else { throw APIError.invalidParam("'\(filename)' is empty") }
        var columns = ["text"]
        if let data = form.part("data"), !data.content.isEmpty {
            guard let fields = (try? JSONDocumentReader.parse(String(decoding: data.content, as: UTF8.self)))?.value.objectValue else {
                throw APIError.invalidParam("the 'data' part must be a JSON object")
            }
            columns = fields["text_columns"]?.arrayValue?.compactMap(\.stringValue) ?? columns
        }
        let upload = try await store.uploads.store(dataset: dataset, name: filename, content: file.content)
        let job = try await datasets.queueImport(dataset, uploads: [upload], columns: columns, message: "create-by-file \(filename)")
        return Self.queued(document: filename, job: job)
    }

    /// Dify's answer to a document creation: the document, waiting, and the batch (our job) that indexes it.
    static func queued(document name: String, job: JobRecord) -> Response {
        JSONResponse.make([
            "document": ["id": .string(name), "name": .string(name), "indexing_status": "waiting", "data_source_type": "upload_file"],
            "batch": .string(job.id.lowercasedString),
        ])
    }

    /// A new version without the document.
    func deleteDocument(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        _ = try await store.datasets.removeDocuments(try await dataset(context).name, documents: [try context.documentName("document_id")])
        return Response(status: .noContent)
    }

    static func segment(_ chunk: ChunkRecord) -> Value {
        [
            "id": .string(String(chunk.id)), "position": .int(chunk.position + 1), "document_id": .string(chunk.document), "content": .string(chunk.content),
            "word_count": .int(chunk.content.split(whereSeparator: \.isWhitespace).count), "tokens": .int(chunk.tokens), "keywords": [],
            "hit_count": 0, "enabled": true, "status": "completed", "metadata": .object(chunk.metadata),
        ]
    }

    /// The document's chunks in the latest version, paged as Dify pages them.
    func segments(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let chunks = try await datasets.editor.chunks(of: try await dataset(context), document: try context.documentName("document_id"))
        var page = Self.page(chunks.map(Self.segment), request).objectValue ?? [:]
        page["doc_form"] = "text_model"
        return JSONResponse.make(.object(page))
    }

    /// `{segment: {content}}`: the chunk's new text, re-embedded, in a new dataset version; the chunk gets a new id.
    func updateSegment(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let dataset = try await dataset(context)
        guard let id = context.parameters.get("segment_id").flatMap(Int64.init) else { throw APIError.notFound("no such segment") }
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let content = try body.object("segment").text("content") else { throw APIError.invalidParam("'segment.content' is required") }
        let edited = try await datasets.editor.editChunk(of: dataset, document: try context.documentName("document_id"), chunk: id, content: content)
        return JSONResponse.make(["data": Self.segment(edited.chunk), "doc_form": "text_model"])
    }

    func indexingStatus(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        _ = try await dataset(context)
        guard let id = context.parameters.get("document_id").flatMap(UUID.init(uuidString:)) else { throw APIError.notFound("no such batch") }
        let job = try await store.jobs.get(id)
        let status = switch job.status {
        case .queued: "waiting"
        case .running: "indexing"
        case .done: "completed"
        case .failed: "error"
        }
        let chunks = job.result?["chunks"] ?? job.progress["chunks"] ?? .int(0)
        return JSONResponse.make([
            "data": [[
                "id": .string(id.lowercasedString), "indexing_status": .string(status), "error": job.error.map(Value.string) ?? .null,
                "completed_segments": chunks, "total_segments": job.status == .done ? chunks : job.progress["embedded"] ?? .int(0),
            ]]
        ])
    }

    func documents(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let dataset = try await dataset(context)
        let documents = try await store.datasets.documents(dataset, version: dataset.latestVersion)
        let values: [Value] = documents.map {
            ["id": .string($0.name), "name": .string($0.name), "tokens": .int($0.tokenCount), "segment_count": .int($0.chunkCount), "indexing_status": "completed",
             "enabled": true]
        }
        return JSONResponse.make(Self.page(values, request))
    }

    /// `{query, retrieval_model?: {search_method, top_k, score_threshold_enabled, score_threshold}}`.
    func retrieve(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try await auth.datasets(request)
        let dataset = try await dataset(context)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let query = try body.text("query"), !query.isEmpty else { throw APIError.invalidParam("'query' is required") }
        let model = try body.object("retrieval_model")
        let methods: [String: RetrievalMode] = ["semantic_search": .semantic, "full_text_search": .fulltext, "hybrid_search": .hybrid, "keyword_search": .fulltext]
        let method = try model.text("search_method") ?? "semantic_search"
        guard let mode = methods[method] else { throw APIError.invalidParam("unknown search_method '\(method)'; use \(methods.keys.sorted().joined(separator: ", "))") }
        let topK = model["top_k"]?.numberValue.map(Int.init) ?? 4
        guard (1...100).contains(topK) else { throw APIError.invalidParam("'top_k' must be from 1 to 100") }
        let threshold = model["score_threshold_enabled"] == .bool(true) ? model["score_threshold"]?.numberValue : nil
        let results = try await datasets.retriever.retrieve(
            RetrievalQuery(query: query, datasets: [DatasetReference(name: dataset.name)], mode: mode, topK: topK, scoreThreshold: threshold))
        return JSONResponse.make([
            "query": ["content": .string(query)],
            "records": .array(results.map { chunk in
                [
                    "segment": [
                        "id": .string(String(chunk.chunkId)), "content": .string(chunk.content), "document_id": .string(chunk.document),
                        "document": ["id": .string(chunk.document), "name": .string(chunk.document)], "metadata": .object(chunk.metadata),
                    ],
                    "score": .double(chunk.score),
                ]
            }),
        ])
    }
}
