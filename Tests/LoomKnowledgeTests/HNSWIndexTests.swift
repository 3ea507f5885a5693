import LoomInference
import LoomKnowledge
import Testing

struct HNSWIndexTests {
    /// Vectors shaped like real embeddings: near a 16-dimensional subspace of a 96-dimensional space, in clusters.
    static func embeddingsLike(_ count: Int, seed: UInt64) -> [[Float]] {
        var generator = SplitMix64(seed: seed)
        let basis = (0..<16).map { _ in (0..<96).map { _ in Float.random(in: -1...1, using: &generator) } }
        let centres = (0..<24).map { _ in (0..<16).map { _ in Float.random(in: -1...1, using: &generator) } }
        return (0..<count).map { _ in
            let centre = centres[Int.random(in: 0..<centres.count, using: &generator)]
            let coefficients = centre.map { $0 + Float.random(in: -0.35...0.35, using: &generator) }
            return (0..<96).map { d in
                zip(coefficients, basis).reduce(Float(0)) { $0 + $1.0 * $1.1[d] } + Float.random(in: -0.05...0.05, using: &generator)
            }
        }
    }

    @Test func recallAtTenAgainstExactSearchIsHigh() throws {
        let vectors = Self.embeddingsLike(3000, seed: 1)
        var exact = ExactVectorIndex(dimensions: 96)
        var graph = HNSWIndex(dimensions: 96, parameters: .init(m: 16, efConstruction: 100, efSearch: 64))
        for (id, vector) in vectors.enumerated() {
            try exact.add(id: Int64(id), vector: vector)
            try graph.add(id: Int64(id), vector: vector)
        }
        let queries = Self.embeddingsLike(100, seed: 2)
        var hits = 0
        for query in queries {
            let truth = Set(try exact.search(query, k: 10).map(\.id))
            let found = try graph.search(query, k: 10)
            #expect(found.map(\.score) == found.map(\.score).sorted(by: >))
            hits += found.filter { truth.contains($0.id) }.count
        }
        let recall = Double(hits) / Double(queries.count * 10)
        #expect(recall >= 0.95, "recall@10 \(recall)")
        // The same data and seed build the same graph.
        var again = HNSWIndex(dimensions: 96, parameters: .init(m: 16, efConstruction: 100, efSearch: 64))
        for (id, vector) in vectors.enumerated() { try again.add(id: Int64(id), vector: vector) }
        #expect(try again.search(queries[0], k: 10).map(\.id) == graph.search(queries[0], k: 10).map(\.id))
    }

    @Test func smallAndEmptyIndexesAnswerAndWrongSizesAreRefused() throws {
        var graph = HNSWIndex(dimensions: 3)
        #expect(try graph.search([1, 0, 0], k: 5).isEmpty)
        try graph.add(id: 7, vector: [1, 0, 0])
        try graph.add(id: 8, vector: [0, 1, 0])
        #expect(try graph.search([0.9, 0.1, 0], k: 5).map(\.id) == [7, 8])
        #expect(throws: KnowledgeError.dimensionMismatch(expected: 3, got: 2)) { try graph.add(id: 9, vector: [1, 0]) }
        #expect(throws: KnowledgeError.dimensionMismatch(expected: 3, got: 4)) { try graph.search([1, 0, 0, 0], k: 1) }
    }
}
