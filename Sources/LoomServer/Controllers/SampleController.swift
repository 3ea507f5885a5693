import Hummingbird
import LoomStore
import LoomWorkflow

/// The samples of training datasets over the admin API: list, import JSON lines, review (approve, reject, rate,
/// label), edit one, export — what `loom samples` talks to. Every change is a new dataset version.
struct SampleController: Sendable {
    let auth: Authenticator
    let store: Store
    let configuration: ServerConfiguration

    /// The chat model whose context imported records must fit.
    static let trainingModel = "smollm2-135m"

    private func dataset(_ context: LoomRequestContext) async throws -> DatasetRecord {
        guard let name = context.parameters.get("dataset") else { throw APIError.notFound("no dataset in the path") }
        let dataset = try await store.datasets.get(name)
        guard dataset.kind == .samples else {
            throw StoreError.wrongDatasetKind(dataset: name, kind: dataset.kind.rawValue, needed: DatasetKind.samples.rawValue)
        }
        return dataset
    }

    private func id(_ context: LoomRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text) else { throw APIError.invalidParam("a sample id is a number") }
        return id
    }

    private func version(_ request: Request, _ dataset: DatasetRecord) throws -> Int {
        let number = try request.query("version").map { text -> Int in
            guard let number = Int(text) else { throw APIError.invalidParam("the version must be a number") }
            return number
        }
        return try store.datasets.resolve(dataset, version: number)
    }

    private func status(_ text: String?) throws -> SampleStatus? {
        guard let text else { return nil }
        guard let status = SampleStatus(rawValue: text) else { throw APIError.invalidParam("a status is pending, approved or rejected, not '\(text)'") }
        return status
    }

    /// `?status=&version=&after=ID&limit=N` (100 by default); each sample with the number of chat queries it has
    /// answered (annotation reply).
    func list(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await dataset(context)
        guard dataset.latestVersion > 0 else { return JSONResponse.make(["data": [], "version": 0, "has_more": false]) }
        let version = try version(request, dataset)
        let limit = min(max(request.query("limit").flatMap(Int.init) ?? 100, 1), 1000)
        let samples = try await store.samples.list(
            dataset, version: version, status: try status(request.query("status")), after: request.query("after").flatMap(Int64.init) ?? 0,
            limit: limit + 1)
        let hits = try await store.samples.hits(dataset)
        return JSONResponse.make([
            "data": .array(samples.prefix(limit).map { sample in
                guard case .object(var fields) = sample.value else { return sample.value }
                fields["hits"] = .int(hits[sample.id] ?? 0)
                return .object(fields)
            }),
            "version": .int(version), "has_more": .bool(samples.count > limit),
        ])
    }

    /// JSON lines in the body; `?status=` for lines without one (approved: an imported file is taken as reviewed),
    /// `?file=` names the source, `?message=` the version.
    func importLines(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await dataset(context)
        let file = request.query("file") ?? "upload.jsonl"
        let reader = SampleImport(
            status: try status(request.query("status")) ?? .approved, source: ["kind": "imported", "file": .string(file)],
            model: TrainingTokenizer.model(Self.trainingModel))
        let inputs = try reader.read(try await request.text(limit: configuration.maxUploadBytes))
        let addition = try await store.samples.add(dataset.name, inputs, message: request.query("message") ?? "import \(file)")
        return JSONResponse.make(
            [
                "dataset": .string(dataset.name), "version": .int(addition.version), "added": .int(addition.added),
                "duplicates": .int(addition.writes.count - addition.added), "ids": .array(addition.writes.map { .int(Int($0.id)) }),
            ], status: addition.added > 0 ? .created : .ok)
    }

    /// `{ids: [...], status?, rating?, label?}`: one version for the lot.
    func review(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await dataset(context)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        guard let ids = body["ids"]?.arrayValue?.compactMap({ $0.numberValue.map { Int64($0) } }), !ids.isEmpty, ids.count == body["ids"]?.arrayValue?.count
        else { throw APIError.invalidParam("'ids' is a list of sample ids") }
        let review = try review(body, record: nil)
        let version = try await store.samples.review(dataset.name, ids: ids, review, message: Self.message(review, count: ids.count))
        return JSONResponse.make(["dataset": .string(dataset.name), "version": .int(version)])
    }

    /// `{record?, status?, rating?, label?}` for one sample.
    func update(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await dataset(context)
        let id = try id(context)
        let body = try await request.jsonObject(limit: configuration.maxBodyBytes)
        var record: TrainingRecord?
        if let value = body["record"] {
            do {
                let parsed = try TrainingRecord(parsing: value)
                try TrainingTokenizer.checkLength(parsed, model: TrainingTokenizer.model(Self.trainingModel))
                record = parsed
            } catch {
                throw APIError(.unprocessableContent, "invalid_samples", "the record is not valid: \(error)")
            }
        }
        let review = try review(body, record: record)
        let version = try await store.samples.review(dataset.name, ids: [id], review, message: record == nil ? Self.message(review, count: 1) : "edit sample \(id)")
        guard let sample = try await store.samples.sample(dataset, id: id, version: version) else {
            throw StoreError.sampleNotFound(dataset: dataset.name, ids: [id])
        }
        return JSONResponse.make(["version": .int(version), "sample": sample.value])
    }

    func show(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await dataset(context)
        let id = try id(context)
        let found = dataset.latestVersion == 0 ? nil : try await store.samples.sample(dataset, id: id, version: try version(request, dataset))
        guard let sample = found else { throw StoreError.sampleNotFound(dataset: dataset.name, ids: [id]) }
        return JSONResponse.make(sample.value)
    }

    /// JSON lines of a version's records: `?status=` (approved by default, `all` for every one), `?review=true` to
    /// keep each record's status, rating and label beside it.
    func export(_ request: Request, _ context: LoomRequestContext) async throws -> Response {
        try auth.admin(request)
        let dataset = try await dataset(context)
        let filter = request.query("status") ?? SampleStatus.approved.rawValue
        let status = filter == "all" ? nil : try status(filter)
        let review = request.query("review") == "true"
        var lines = ""
        if dataset.latestVersion > 0 {
            for sample in try await store.samples.list(dataset, version: try version(request, dataset), status: status) {
                lines += SampleImport.line(sample, review: review) + "\n"
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/jsonl"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: lines)))
    }

    private func review(_ body: [String: Value], record: TrainingRecord?) throws -> SampleReview {
        var review = SampleReview(status: try status(try body.text("status")), record: record)
        if let value = body["rating"] {
            if value.isNull {
                review.rating = .some(nil)
            } else {
                guard case .int(let number) = value, SampleImport.ratings.contains(number) else {
                    throw APIError.invalidParam("'rating' is a whole number from \(SampleImport.ratings.lowerBound) to \(SampleImport.ratings.upperBound), or null")
                }
                review.rating = number
            }
        }
        if let value = body["label"] { review.label = .some(value.stringValue) }
        guard review.status != nil || review.rating != nil || review.label != nil || review.record != nil else {
            throw APIError.invalidParam("nothing to change: give status, rating, label or record")
        }
        return review
    }

    private static func message(_ review: SampleReview, count: Int) -> String {
        let what = count == 1 ? "1 sample" : "\(count) samples"
        switch review.status {
        case .approved?: return "approve \(what)"
        case .rejected?: return "reject \(what)"
        case .pending?: return "return \(what) to pending"
        case nil: return "review \(what)"
        }
    }
}
