import LoomStore
import LoomWorkflow

/// One dataset version as retrieval searches it: where its nearest chunks are found and its chunks read.
protocol SearchableVersion: Sendable {
    /// At most `limit` chunks nearest `vector`, best first, among those whose metadata holds `filters`.
    func nearest(_ vector: [Float], limit: Int, filters: [String: Value]) async throws -> [(id: Int64, score: Double)]
    /// The chunks of these ids, without their vectors.
    func chunks(_ ids: [Int64]) async throws -> [Int64: ChunkRecord]
}

/// A version searched in PostgreSQL through pgvector: nothing of it is held in this process.
struct PgvectorVersion: SearchableVersion {
    let store: Store
    let dataset: DatasetRecord
    let number: Int

    func nearest(_ vector: [Float], limit: Int, filters: [String: Value]) async throws -> [(id: Int64, score: Double)] {
        try await store.datasets.nearest(dataset, version: number, to: vector, limit: limit, filters: filters)
    }

    func chunks(_ ids: [Int64]) async throws -> [Int64: ChunkRecord] {
        try await store.datasets.chunks(ids: ids)
    }
}
