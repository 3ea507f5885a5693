import ArgumentParser
import COpenBLAS
import Foundation
import LoomInference
import LoomKnowledge
import LoomWorkflow

/// Vector search figures: exact and HNSW query latency at 10k and 100k chunk-sized vectors, HNSW recall@10, next to
/// FAISS (flat and HNSW) on the same vectors in the same run, one thread each.
struct RetrievalBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Exact and HNSW search latency and recall on 384-d embedding-like vectors at 10k and 100k next to FAISS (one thread each); ingestion rate against the embedding model's own; hit@5 per search mode.")

    @Option(help: "Collection sizes, comma-separated.") var sizes = "10000,100000"
    @Option(help: "Queries per size.") var queries = 200
    @Option(help: "HNSW ef_search values to sweep, comma-separated.") var efSearch = "16,32,48,64,128"
    @Flag(help: "Skip FAISS (the benchmark installs faiss-cpu into a scratch virtual environment).") var skipReference = false
    @Flag(help: "Skip the ingestion and hit@5 part (it starts a scratch PostgreSQL and an embedding worker).") var skipIngestion = false
    @Flag(help: "Skip search through pgvector (it starts a scratch PostgreSQL 16 with pgvector from deploy/pgvector).") var skipPgvector = false
    @Option(help: "Copies of the README and docs to import for the ingestion figure.") var copies = 4
    @Option(help: "Compute threads of the embedding worker.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Where the scratch virtual environment lives.") var scratch = ".loom/bench"

    static let dimensions = 384
    static let faissScript = "Benchmarks/retrieval/faiss_reference.py"

    func run() async throws {
        BenchBuild.warnIfDebug()
        openblas_set_num_threads(1)
        let counts = sizes.split(separator: ",").compactMap { Int($0) }
        let sweep = efSearch.split(separator: ",").compactMap { Int($0) }
        let python = skipReference ? nil : try await ScratchPython.prepare(scratch + "/faiss-venv", package: "faiss-cpu==1.12.0", module: "faiss")
        print("Vector search: \(Self.dimensions)-d vectors near a 32-d subspace in 64 clusters (shaped like sentence embeddings), \(queries) queries one at a time, k = 10, one thread")
        print("Loom HNSW: M 16, ef_construction 100 · FAISS HNSW: M 32, ef_construction 40 (the issue's reference settings)\n")
        var exactRows: [[String]] = []
        var graphRows: [[String]] = []
        var pgvectorRows: [[String]] = []
        for count in counts {
            var data = SyntheticEmbeddings(dimensions: Self.dimensions, seed: UInt64(count))
            let vectors = data.make(count)
            let probes = data.make(queries)
            var exact = ExactVectorIndex(dimensions: Self.dimensions)
            for (id, vector) in vectors.enumerated() { try exact.add(id: Int64(id), vector: vector) }
            let (exactP50, exactP99, truth) = try Self.timed(probes) { try exact.search($0, k: 10).map(\.id) }

            let started = ContinuousClock.now
            var graph = HNSWIndex(dimensions: Self.dimensions, parameters: .init(m: 16, efConstruction: 100, efSearch: 64))
            for (id, vector) in vectors.enumerated() { try graph.add(id: Int64(id), vector: vector) }
            let build = (ContinuousClock.now - started).seconds

            var reference: Value?
            if let python {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let (vectorFile, queryFile) = (directory.appendingPathComponent("v.f32").path, directory.appendingPathComponent("q.f32").path)
                try Self.write(vectors, to: vectorFile)
                try Self.write(probes, to: queryFile)
                let output = try await Shell.run([
                    python, Self.faissScript, "--vectors", vectorFile, "--queries", queryFile, "--dim", String(Self.dimensions), "--ef-search", efSearch,
                ])
                reference = output.split(separator: "\n").last.flatMap { try? JSONDocumentReader.parse(String($0)).value }
            }
            let flatP50 = reference?[path: ["flat_p50_ms"]]?.numberValue
            let flatP99 = reference?[path: ["flat_p99_ms"]]?.numberValue
            exactRows.append([
                "\(count)", Self.ms(exactP50), Self.ms(exactP99), flatP50.map(Self.ms) ?? "–", flatP99.map(Self.ms) ?? "–",
                flatP50.map { String(format: "%.2f×", exactP50 / $0) } ?? "–",
            ])
            if !skipPgvector {
                // Fewer queries: each scans the whole version in PostgreSQL.
                let sample = min(queries, 50)
                let figures = try await PgvectorBench.run(vectors, probes: Array(probes.prefix(sample)), truth: Array(truth.prefix(sample)))
                pgvectorRows.append([
                    "\(count)", Self.ms(figures.p50), Self.ms(figures.p99), String(format: "%.3f", figures.recall), String(format: "%.1f", figures.load), "\(sample)",
                ])
            }
            let faiss = reference?[path: ["hnsw"]]?.arrayValue ?? []
            for ef in sweep {
                let (p50, p99, found) = try Self.timed(probes) { try graph.search($0, k: 10, ef: ef).map(\.id) }
                var hits = 0
                for (mine, exact) in zip(found, truth) { hits += Set(mine).intersection(exact).count }
                let recall = Double(hits) / Double(10 * probes.count)
                let theirs = faiss.first { $0[path: ["ef"]]?.numberValue == Double(ef) }
                let theirRecall: String = theirs?[path: ["recall"]]?.numberValue.map { String(format: "%.3f", $0) } ?? "–"
                let theirP99: String = theirs?[path: ["p99_ms"]]?.numberValue.map(Self.ms) ?? "–"
                let theirBuild: String = reference?[path: ["hnsw_build_s"]]?.numberValue.map { String(format: "%.1f", $0) } ?? "–"
                let row: [String] = [
                    "\(count)", "\(ef)", String(format: "%.3f", recall), Self.ms(p50), Self.ms(p99), String(format: "%.1f", build), theirRecall, theirP99,
                    theirBuild,
                ]
                graphRows.append(row)
            }
        }
        print(TextTable.render(["vectors", "exact p50 ms", "exact p99 ms", "faiss flat p50", "faiss flat p99", "exact ÷ flat p50"], exactRows))
        print("")
        print(TextTable.render(["vectors", "ef", "recall@10", "p50 ms", "p99 ms", "build s", "faiss recall", "faiss p99 ms", "faiss build s"], graphRows))
        if !pgvectorRows.isEmpty {
            print("\nThe same vectors as one dataset version in PostgreSQL 16.2 with pgvector 0.6.2 (LOOM_VECTOR_SEARCH=pgvector: an exact scan in the database, nothing held by the server)")
            print(TextTable.render(["vectors", "pgvector p50 ms", "pgvector p99 ms", "recall@10", "load s", "queries"], pgvectorRows))
        }
        guard !skipIngestion else { return }
        let ingestion = try await IngestionBench.run(copies: copies, threads: threads)
        print("\nIngestion: README and docs ×\(copies) as Markdown, 200-token chunks, embedded by an in-process worker (\(threads) threads) over HTTP, stored in a scratch PostgreSQL")
        print(TextTable.render(
            ["chunks", "import chunks/s", "model alone chunks/s", "import ÷ model"],
            [["\(ingestion.chunks)", String(format: "%.1f", ingestion.chunksPerSecond), String(format: "%.1f", ingestion.modelChunksPerSecond),
              String(format: "%.0f%%", 100 * ingestion.chunksPerSecond / ingestion.modelChunksPerSecond)]]))
        print("\nhit@5 on \(IngestionBench.questions) (the right document among the top 5):")
        print(TextTable.render(["mode", "hits", "hit@5"], ingestion.hits.map { ["\($0.mode.rawValue)", "\($0.hits)/\($0.questions)", String(format: "%.2f", Double($0.hits) / Double($0.questions))] }))
    }

    static func ms(_ value: Double) -> String { String(format: "%.3f", value) }

    /// p50 and p99 milliseconds of `search` over the queries, and what it found.
    static func timed(_ queries: [[Float]], _ search: ([Float]) throws -> [Int64]) throws -> (Double, Double, [[Int64]]) {
        var latencies: [Double] = []
        var results: [[Int64]] = []
        for query in queries {
            let started = ContinuousClock.now
            results.append(try search(query))
            latencies.append((ContinuousClock.now - started).seconds * 1000)
        }
        latencies.sort()
        let at = { (fraction: Double) in latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))] }
        return (at(0.5), at(0.99), results)
    }

    static func write(_ vectors: [[Float]], to path: String) throws {
        var data = Data(capacity: vectors.count * dimensions * 4)
        for vector in vectors { vector.withUnsafeBytes { data.append(contentsOf: $0) } }
        try data.write(to: URL(fileURLWithPath: path))
    }
}

/// Vectors near a low-dimensional subspace, in clusters, as sentence embeddings are: on uniform random vectors no
/// graph index reaches a useful recall.
struct SyntheticEmbeddings {
    let dimensions: Int
    private let basis: [[Float]]
    private let centres: [[Float]]
    private var generator: SplitMix64

    init(dimensions: Int, rank: Int = 32, clusters: Int = 64, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        self.dimensions = dimensions
        basis = (0..<rank).map { _ in (0..<dimensions).map { _ in Float.random(in: -1...1, using: &generator) } }
        centres = (0..<clusters).map { _ in (0..<rank).map { _ in Float.random(in: -1...1, using: &generator) } }
        self.generator = generator
    }

    mutating func make(_ count: Int) -> [[Float]] {
        (0..<count).map { _ in
            let centre = centres[Int.random(in: 0..<centres.count, using: &generator)]
            let coefficients = centre.map { $0 + Float.random(in: -0.4...0.4, using: &generator) }
            var vector = [Float](repeating: 0, count: dimensions)
            for (coefficient, direction) in zip(coefficients, basis) {
                for d in 0..<dimensions { vector[d] += coefficient * direction[d] }
            }
            for d in 0..<dimensions { vector[d] += Float.random(in: -0.05...0.05, using: &generator) }
            return vector
        }
    }
}
