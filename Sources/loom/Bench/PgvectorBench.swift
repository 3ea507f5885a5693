import Foundation
import Logging
import LoomStore
import LoomWorkflow

/// Semantic search through pgvector on the benchmark's vectors: the same collection stored as one dataset version
/// in a scratch PostgreSQL with the extension (`deploy/pgvector`), searched with the query the server runs.
struct PgvectorBench {
    struct Figures {
        var p50: Double
        var p99: Double
        var recall: Double
        var load: Double
    }

    static func run(_ vectors: [[Float]], probes: [[Float]], truth: [[Int64]]) async throws -> Figures {
        let cluster = try await BenchDatabase.prepare(pgvector: true)
        let database = try await BenchDatabase.createDatabase(on: cluster.url)
        func cleanUp() async {
            await BenchDatabase.dropDatabase(database, on: cluster.url)
            await cluster.tearDown()
        }
        do {
            let figures = try await Store.with(try DatabaseURL.configuration(database), logger: Logger(label: "loom.bench"), operationTimeout: .seconds(600)) {
                try await measure($0, vectors, probes, truth)
            }
            await cleanUp()
            return figures
        } catch {
            await cleanUp()
            throw error
        }
    }

    static func measure(_ store: Store, _ vectors: [[Float]], _ probes: [[Float]], _ truth: [[Int64]]) async throws -> Figures {
        try await MigrationRunner(client: store.client, logger: store.logger).migrate(try Migration.load(from: DatabaseEnvironment.migrations("migrations")))
        _ = try await store.datasets.enablePgvector()
        let dataset = try await store.datasets.create(DatasetSpec(name: "bench", embeddingModel: "synthetic", dimensions: vectors[0].count))
        let started = ContinuousClock.now
        var stored: [Int64] = []
        for start in stride(from: 0, to: vectors.count, by: 2000) {
            let part = vectors[start..<min(start + 2000, vectors.count)]
            let chunks = part.indices.map { ChunkInput(content: "chunk \($0)", tokens: 1, metadata: [:], embedding: vectors[$0]) }
            stored.append(try await store.datasets.storeDocument(dataset: dataset, name: "part-\(start)", sha256: "\(start)", metadata: [:], chunks: chunks))
        }
        _ = try await store.datasets.commitVersion(dataset: "bench", put: stored)
        let load = (ContinuousClock.now - started).seconds
        var latencies: [Double] = []
        var hits = 0
        for (probe, expected) in zip(probes, truth) {
            let began = ContinuousClock.now
            let found = try await store.datasets.nearest(dataset, version: 1, to: probe, limit: 10)
            latencies.append((ContinuousClock.now - began).seconds * 1000)
            // Chunk contents carry the benchmark's ids ("chunk N").
            let rows = try await store.datasets.chunks(ids: found.map(\.id))
            hits += Set(found.compactMap { rows[$0.id].flatMap { Int64($0.content.dropFirst("chunk ".count)) } }).intersection(expected).count
        }
        latencies.sort()
        let at = { (fraction: Double) in latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))] }
        return Figures(p50: at(0.5), p99: at(0.99), recall: Double(hits) / Double(10 * probes.count), load: load)
    }
}
