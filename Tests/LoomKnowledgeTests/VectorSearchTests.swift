import LoomInference
import LoomKnowledge
import Testing

struct VectorSearchTests {
    @Test func exactSearchRanksByCosineAsComputedInDouble() throws {
        var generator = SplitMix64(seed: 5)
        var index = ExactVectorIndex(dimensions: 24)
        var vectors: [[Float]] = []
        for id in 0..<500 {
            let vector = (0..<24).map { _ in Float.random(in: -1...1, using: &generator) }
            vectors.append(vector)
            try index.add(id: Int64(id), vector: vector)
        }
        let query = (0..<24).map { _ in Float.random(in: -1...1, using: &generator) }
        func cosine(_ a: [Float], _ b: [Float]) -> Double {
            let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let norms = (a.reduce(0.0) { $0 + Double($1 * $1) } * b.reduce(0.0) { $0 + Double($1 * $1) }).squareRoot()
            return dot / norms
        }
        let expected = vectors.indices.sorted { cosine(vectors[$0], query) > cosine(vectors[$1], query) }.prefix(10)
        let found = try index.search(query, k: 10)
        #expect(found.map(\.id) == expected.map(Int64.init))
        for result in found { #expect(abs(Double(result.score) - cosine(vectors[Int(result.id)], query)) < 1e-5) }
        #expect(try index.search(query, k: 1000).count == 500)
    }

    @Test func aVectorOfTheWrongSizeIsRefused() {
        var index = ExactVectorIndex(dimensions: 3)
        #expect(throws: KnowledgeError.dimensionMismatch(expected: 3, got: 2)) { try index.add(id: 1, vector: [1, 2]) }
        #expect(throws: KnowledgeError.dimensionMismatch(expected: 3, got: 4)) { try index.search([1, 2, 3, 4], k: 1) }
    }

    @Test func reciprocalRankFusionFavoursWhatBothListsFind() {
        let fused = RankFusion.reciprocal([[1, 2, 3], [3, 4, 1]])
        #expect(fused.map(\.id) == [1, 3, 2, 4])
        #expect(abs(fused[0].score - (1.0 / 61 + 1.0 / 63)) < 1e-12)
    }

    @Test func weightedFusionScalesEachListByItsBest() {
        let fused = RankFusion.weighted([
            (results: [(id: 1, score: 0.9), (id: 2, score: 0.45)], weight: 0.7),
            (results: [(id: 2, score: 12), (id: 3, score: 6)], weight: 0.3),
        ])
        // 1: 0.7·1; 2: 0.7·0.5 + 0.3·1; 3: 0.3·0.5.
        #expect(fused.map(\.id) == [1, 2, 3])
        #expect(zip(fused.map(\.score), [0.7, 0.65, 0.15]).allSatisfy { abs($0 - $1) < 1e-12 })
    }
}
