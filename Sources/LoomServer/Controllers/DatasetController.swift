import Foundation
import Hummingbird
import LoomConnectors
import LoomKnowledge
import LoomStore
import LoomWorkflow

/// Datasets over the admin API: create, list, show, delete, upload documents (imported at once), search,
/// versions and diff — what `loom datasets` talks to.
struct DatasetController: Sendable {
    let auth: Authenticator
    let store: Store
    let models: OpenAICompatibleProvider
    let retriever: DatasetRetriever
    let configuration: ServerConfiguration

    static let defaultEmbeddingModel = "minilm-l6"

    func name(_ context: LoomRequestContext) throws -> String {
        guard let name = context.parameters.get("dataset") else { throw APIError.notFound("no dataset in the path") }
        return name
    }

    static func dataset(_ dataset: DatasetRecord) -> Value {
        [
            "name": .string(dataset.name), "kind": .string(dataset.kind.rawValue), "description": .string(dataset.description), "embedding_model": .string(dataset.embeddingModel),
            "dimensions": .int(dataset.dimensions), "chunk_tokens": .int(dataset.chunkTokens), "chunk_overlap": .int(dataset.chunkOverlap),
            "latest_version": .int(dataset.latestVersion), "created_at": .int(Int(dataset.createdAt.timeIntervalSince1970)),
        ]
    }

    /// `{name, kind?, description?, embedding_model?, chunk_tokens?, chunk_overlap?}` (kind: knowledge, or samples for
    /// training records, whose questions the embedding model matches for annotation reply); the model's dimensions are found by
    /// embedding a probe text, which also proves the model answers.
    func create(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let name = try body.text("name") else { throw APIError.invalidParam("'name' is required") }
        let model = try body.text("embedding_model") ?? Self.defaultEmbeddingModel
        let integer = { (key: String, fallback: Int) throws -> Int in
            guard let value = body[key], !value.isNull else { return fallback }
            guard case .int(let number) = value else { throw APIError.invalidParam("'\(key)' must be an integer") }
            return number
        }
        let kindName = try body.text("kind") ?? DatasetKind.knowledge.rawValue
        guard let kind = DatasetKind(rawValue: kindName) else { throw APIError.invalidParam("'kind' is knowledge or samples, not '\(kindName)'") }
        let dataset = try await create(
            name: name, kind: kind, description: try body.text("description") ?? "", model: model, chunkTokens: try integer("chunk_tokens", 500),
            overlap: try integer("chunk_overlap", 50))
        return JSONResponse.make(Self.dataset(dataset), status: .created)
    }

    /// Creates a dataset after asking its embedding model for its dimensions (which also proves the model answers).
    func create(name: String, kind: DatasetKind = .knowledge, description: String, model: String, chunkTokens: Int, overlap: Int) async throws -> DatasetRecord {
        let probe: [[Float]]
        do {
            probe = try await models.embed(["dimension probe"], model: model)
        } catch let error as ModelError {
            throw APIError(.badRequest, "model_unavailable", "cannot use '\(model)' for embeddings: \(error)")
        }
        return try await store.datasets.create(
            DatasetSpec(
                name: name, kind: kind, description: description, embeddingModel: model, dimensions: probe.first?.count ?? 0, chunkTokens: chunkTokens,
                chunkOverlap: overlap))
    }

    /// Queues an import of uploads already stored; the job is what callers follow. `plainText`: names without a
    /// known extension are read as text (documents given as text, named freely).
    func queueImport(_ dataset: DatasetRecord, uploads: [Int64], columns: [String], message: String, plainText: Bool = false) async throws -> JobRecord {
        guard dataset.kind == .knowledge else {
            throw StoreError.wrongDatasetKind(dataset: dataset.name, kind: dataset.kind.rawValue, needed: DatasetKind.knowledge.rawValue)
        }
        _ = try await store.uploads.names(uploads, dataset: dataset)
        return try await store.jobs.create(
            kind: ImportJobRunner.kind, dataset: dataset,
            payload: [
                "uploads": .array(uploads.map { .int(Int($0)) }), "text_columns": .array(columns.map(Value.string)), "message": .string(message),
                "plain_text": .bool(plainText),
            ])
    }

    func list(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        return JSONResponse.make(["data": .array(try await store.datasets.list().map(Self.dataset))])
    }

    func show(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await store.datasets.get(try name(context))
        var fields = Self.dataset(dataset).objectValue!
        if dataset.kind == .samples {
            let counts = dataset.latestVersion == 0 ? [:] : try await store.samples.counts(dataset, version: dataset.latestVersion)
            fields["samples"] = .object(Dictionary(uniqueKeysWithValues: SampleStatus.allCases.map { ($0.rawValue, .int(counts[$0] ?? 0)) }))
            return JSONResponse.make(.object(fields))
        }
        fields["documents"] = .array(
            try await store.datasets.documents(dataset, version: dataset.latestVersion).map {
                ["name": .string($0.name), "chunks": .int($0.chunkCount), "tokens": .int($0.tokenCount), "sha256": .string($0.sha256)]
            })
        return JSONResponse.make(.object(fields))
    }

    func delete(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        try await store.datasets.delete(try name(context))
        return Response(status: .noContent)
    }

    /// The body is one file, named by `?file=` (its extension picks the reader); `?text_columns=a,b` for JSONL and
    /// CSV. The file is streamed to a temporary file, read, chunked, embedded and stored; the answer is the summary.
    /// `?commit=false` stores without making a version, so several files can become one (`POST …/versions`).
    func upload(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let name = try name(context)
        let dataset = try await store.datasets.get(name)
        guard let file = request.query("file").map({ ($0 as NSString).lastPathComponent }), !file.isEmpty else {
            throw APIError.invalidParam("name the document with ?file=NAME (its extension says how to read it)")
        }
        let columns = request.query("text_columns")?.split(separator: ",").map(String.init) ?? ["text"]
        let limit = configuration.maxUploadBytes
        let scratch = try UploadScratch()
        defer { scratch.remove() }
        let documents = try await scratch.read(file: file, document: request.query("name"), columns: columns) { path in
            try await Self.save(request.body, to: path, limit: limit)
        }
        let importer = DatasetImporter(store: store, embedder: models, counter: TokenCounters.counter(for: dataset.embeddingModel))
        let summary = try await importer.run(
            documents, into: name, message: request.query("message") ?? "import \(file)", commit: request.query("commit") != "false")
        return JSONResponse.make([
            "document_versions": .array(summary.documentVersions.map { .int(Int($0)) }),
            "dataset": .string(name), "file": .string(file), "version": .int(summary.version), "documents": .int(documents.count),
            "stored": .int(summary.stored), "unchanged": .int(summary.unchanged), "chunks": .int(summary.chunks), "tokens": .int(summary.tokens),
            "seconds": .double(summary.seconds),
        ])
    }

    /// Stores one file (the body, `?file=NAME`) for an import job; answers its upload id.
    func stage(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await store.datasets.get(try name(context))
        guard let file = request.query("file"), !file.isEmpty else { throw APIError.invalidParam("name the document with ?file=NAME") }
        let limit = configuration.maxUploadBytes
        let (id, bytes) = try await store.uploads.receive(dataset: dataset, name: file) { writer in
            try await Self.receive(request.body, limit: limit) { try await writer.write($0.readableBytesView) }
        }
        return JSONResponse.make(["upload_id": .int(Int(id)), "file": .string(file), "bytes": .int(bytes)], status: .created)
    }

    /// `{uploads: [ids], text_columns?: [names], message?}`: queues an import job; the answer is the job (202).
    func startImport(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await store.datasets.get(try name(context))
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let uploads = body["uploads"]?.arrayValue, !uploads.isEmpty, uploads.allSatisfy({ if case .int = $0 { true } else { false } }) else {
            throw APIError.invalidParam("'uploads' must list the upload ids to import")
        }
        let columns = body["text_columns"]?.arrayValue?.compactMap(\.stringValue) ?? ["text"]
        // Unknown uploads are refused here rather than in a job that could only fail.
        let job = try await queueImport(
            dataset, uploads: uploads.compactMap { if case .int(let id) = $0 { Int64(id) } else { nil } }, columns: columns,
            message: try body.text("message") ?? "import")
        return JSONResponse.make(Self.job(job), status: .accepted)
    }

    static func job(_ job: JobRecord) -> Value {
        [
            "id": .string(job.id.lowercasedString), "kind": .string(job.kind), "dataset": job.dataset.map(Value.string) ?? .null,
            "status": .string(job.status.rawValue), "progress": .object(job.progress), "result": job.result.map(Value.object) ?? .null,
            "error": job.error.map(Value.string) ?? .null, "attempts": .int(job.attempts), "created_at": .int(Int(job.createdAt.timeIntervalSince1970)),
        ]
    }

    func jobDetail(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw APIError.notFound("no such job") }
        return JSONResponse.make(Self.job(try await store.jobs.get(id)))
    }

    func jobs(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        return JSONResponse.make(["data": .array(try await store.jobs.list(dataset: request.query("dataset")).map(Self.job))])
    }

    static func save(_ body: RequestBody, to path: String, limit: Int) async throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw APIError(.internalServerError, "internal_error", "cannot write a temporary file for the upload")
        }
        defer { try? handle.close() }
        try await Self.receive(body, limit: limit) { try handle.write(contentsOf: $0.readableBytesView) }
    }

    /// Hands the body on a buffer at a time, refusing it with 413 once it passes `limit` bytes.
    static func receive(_ body: RequestBody, limit: Int, _ take: (ByteBuffer) async throws -> Void) async throws {
        var received = 0
        for try await buffer in body {
            received += buffer.readableBytes
            guard received <= limit else {
                throw APIError(.contentTooLarge, "payload_too_large", "the document is larger than \(limit >> 20) MB (LOOM_MAX_UPLOAD_MB)")
            }
            try await take(buffer)
        }
    }

    /// `{query, mode?, top_k?, version?, score_threshold?, filters?}`.
    func search(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let name = try name(context)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let query = try body.text("query"), !query.isEmpty else { throw APIError.invalidParam("'query' is required") }
        let modeText = try body.text("mode") ?? "hybrid"
        guard let mode = RetrievalMode(rawValue: modeText) else { throw APIError.invalidParam("unknown mode '\(modeText)'; use semantic, fulltext or hybrid") }
        let version: Int? = try body["version"].flatMap { value in
            if value.isNull { return nil }
            guard case .int(let number) = value else { throw APIError.invalidParam("'version' must be an integer") }
            return number
        }
        let topK: Int = try body["top_k"].map { value in
            guard case .int(let number) = value, (1...100).contains(number) else { throw APIError.invalidParam("'top_k' must be an integer from 1 to 100") }
            return number
        } ?? 4
        let threshold = body["score_threshold"].flatMap { $0.isNull ? nil : $0.numberValue }
        let results = try await retriever.retrieve(
            RetrievalQuery(
                query: query, datasets: [DatasetReference(name: name, version: version)], mode: mode, topK: topK, scoreThreshold: threshold,
                filters: try body.object("filters")))
        return JSONResponse.make(["query": .string(query), "mode": .string(mode.rawValue), "records": .array(results.map(\.value))])
    }

    /// `{documents: [document version ids], message?}`: a new version holding them in place of same-named documents.
    func commit(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let name = try name(context)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let items = body["documents"]?.arrayValue else { throw APIError.invalidParam("'documents' must be a list of document version ids") }
        let ids = try items.map { item -> Int64 in
            guard case .int(let id) = item else { throw APIError.invalidParam("'documents' must be a list of document version ids") }
            return Int64(id)
        }
        let version = try await store.datasets.commitVersion(dataset: name, put: ids, message: try body.text("message") ?? "")
        return JSONResponse.make(["dataset": .string(name), "version": .int(version)])
    }

    func versions(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await store.datasets.get(try name(context))
        let versions = try await store.datasets.versions(dataset)
        // What a version holds, named for the dataset's kind: documents, or samples.
        let size = dataset.kind == .samples ? "samples" : "documents"
        return JSONResponse.make([
            "kind": .string(dataset.kind.rawValue),
            "data": .array(versions.map {
                ["number": .int($0.number), "message": .string($0.message), size: .int($0.size), "created_at": .int(Int($0.createdAt.timeIntervalSince1970))]
            }),
        ])
    }

    /// A version's chunks as JSON lines (`?version=N`, `?embeddings=false` to leave the vectors out).
    func export(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let name = try name(context)
        let version = try request.query("version").map { text -> Int in
            guard let number = Int(text) else { throw APIError.invalidParam("the version must be a number") }
            return number
        }
        let embeddings = request.query("embeddings") != "false"
        let dataset = try await store.datasets.get(name)
        let number = try store.datasets.resolve(dataset, version: version)
        var lines = ""
        for chunk in try await store.datasets.chunks(dataset, version: number, embeddings: embeddings) {
            var fields: [String: Value] = [
                "dataset": .string(name), "version": .int(number), "document": .string(chunk.document), "position": .int(chunk.position),
                "content": .string(chunk.content), "tokens": .int(chunk.tokens), "metadata": .object(chunk.metadata),
            ]
            if embeddings { fields["embedding"] = .array(chunk.embedding.map { .double(Double($0)) }) }
            lines += JSONWriter.string(.object(fields)) + "\n"
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/jsonl"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: lines)))
    }

    /// `?from=A&to=B`.
    func diff(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        guard let from = request.query("from").flatMap(Int.init), let to = request.query("to").flatMap(Int.init) else {
            throw APIError.invalidParam("pass ?from=VERSION&to=VERSION")
        }
        let diff = try await store.datasets.diff(try name(context), from: from, to: to)
        let strings = { (names: [String]) in Value.array(names.map(Value.string)) }
        return JSONResponse.make(["from": .int(from), "to": .int(to), "added": strings(diff.added), "changed": strings(diff.changed), "removed": strings(diff.removed)])
    }
}
