import Foundation
import PostgresNIO

/// Files uploaded for an import job, stored in parts of about `partBytes` as they arrive and read back part by part,
/// so a large document is never whole in the server that receives it nor in the one that imports it. An upload is
/// usable once complete; one whose sender went away is removed, and one left by a server that died is swept later.
public struct UploadRepository: Sendable {
    let store: Store

    public static let partBytes = 1 << 20

    /// Stores one file: `receive` writes its bytes to the writer as they come. The upload is complete when `receive`
    /// returns; when it throws (too large, the client gone), nothing of it is kept.
    public func receive(
        dataset: DatasetRecord, name: String, _ receive: (inout UploadWriter) async throws -> Void
    ) async throws -> (id: Int64, bytes: Int) {
        let id = try await begin(dataset: dataset, name: name)
        var writer = UploadWriter(store: store, upload: id)
        do {
            try await receive(&writer)
            try await writer.flush()
            _ = try await store.perform {
                try await store.client.query("UPDATE dataset_uploads SET complete = true WHERE id = \(id)", logger: store.logger)
            }
            return (id, writer.bytes)
        } catch {
            try? await delete([id])
            throw error
        }
    }

    /// Stores bytes already in memory (a document given as text, a multipart part), without copying them first.
    public func store(dataset: DatasetRecord, name: String, content: some Collection<UInt8> & Sendable) async throws -> Int64 {
        try await receive(dataset: dataset, name: name) { try await $0.write(content) }.id
    }

    /// A new, incomplete upload; incomplete ones a day old (their server died while receiving) go first.
    func begin(dataset: DatasetRecord, name: String) async throws -> Int64 {
        try await store.perform {
            try await store.client.query(
                "DELETE FROM dataset_uploads WHERE NOT complete AND created_at < now() - interval '1 day'", logger: store.logger)
            for try await id in try await store.client.query(
                "INSERT INTO dataset_uploads (dataset_id, name, complete) VALUES (\(dataset.id), \(name), false) RETURNING id", logger: store.logger
            ).decode(Int64.self) {
                return id
            }
            throw StoreError.conflict("the upload was not stored")
        }
    }

    /// The names of a dataset's complete uploads with these ids, in the order given.
    public func names(_ ids: [Int64], dataset: DatasetRecord) async throws -> [(id: Int64, name: String)] {
        try await store.perform {
            var found: [Int64: (name: String, complete: Bool)] = [:]
            for try await (id, name, complete) in try await store.client.query(
                "SELECT id, name, complete FROM dataset_uploads WHERE dataset_id = \(dataset.id) AND id = ANY(\(ids))", logger: store.logger
            ).decode((Int64, String, Bool).self) {
                found[id] = (name, complete)
            }
            return try ids.map { id in
                guard let upload = found[id] else { throw StoreError.invalidDataset("no upload \(id) for dataset '\(dataset.name)'") }
                guard upload.complete else {
                    throw StoreError.invalidDataset("upload \(id) ('\(upload.name)') of dataset '\(dataset.name)' was not received whole; upload it again")
                }
                return (id, upload.name)
            }
        }
    }

    /// Writes an upload's bytes to a new file at `path`, one part in memory at a time; returns how many parts.
    @discardableResult
    public func copy(_ id: Int64, to path: String) async throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw StoreError.invalidConfiguration("cannot write \(path)")
        }
        defer { try? file.close() }
        // Uploads stored before parts existed hold their bytes inline.
        if let inline = try await fetch("SELECT content FROM dataset_uploads WHERE id = \(id)") { try file.write(contentsOf: inline) }
        var part = 0
        while let content = try await fetch("SELECT content FROM dataset_upload_parts WHERE upload_id = \(id) AND part = \(part)") {
            try file.write(contentsOf: content)
            part += 1
        }
        return part
    }

    private func fetch(_ query: PostgresQuery) async throws -> Data? {
        try await store.perform {
            for try await content in try await store.client.query(query, logger: store.logger).decode(ByteBuffer.self) {
                return Data(content.readableBytesView)
            }
            return nil
        }
    }

    /// Drops uploads (their parts with them) once their import has stored them.
    public func delete(_ ids: [Int64]) async throws {
        _ = try await store.perform {
            try await store.client.query("DELETE FROM dataset_uploads WHERE id = ANY(\(ids))", logger: store.logger)
        }
    }
}

/// Gathers an upload's bytes and stores them a part at a time.
public struct UploadWriter {
    let store: Store
    let upload: Int64
    private var part = 0
    private var pending: [UInt8] = []
    public private(set) var bytes = 0

    init(store: Store, upload: Int64) {
        self.store = store
        self.upload = upload
    }

    public mutating func write<Bytes: Collection<UInt8>>(_ data: Bytes) async throws {
        var rest = data[...]
        while !rest.isEmpty {
            let taken = rest.prefix(UploadRepository.partBytes - pending.count)
            pending.append(contentsOf: taken)
            bytes += taken.count
            rest = rest.dropFirst(taken.count)
            if pending.count >= UploadRepository.partBytes { try await flush() }
        }
    }

    /// Stores what is pending as the next part.
    mutating func flush() async throws {
        guard !pending.isEmpty else { return }
        let (upload, part, content, store) = (upload, part, ByteBuffer(bytes: pending), store)
        _ = try await store.perform {
            try await store.client.query(
                "INSERT INTO dataset_upload_parts (upload_id, part, content) VALUES (\(upload), \(part), \(content))", logger: store.logger)
        }
        self.part += 1
        pending.removeAll(keepingCapacity: true)
    }
}
