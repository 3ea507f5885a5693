/// Nearest neighbours by cosine similarity over vectors added under ids.
public protocol VectorIndex: Sendable {
    var dimensions: Int { get }
    var count: Int { get }
    mutating func add(id: Int64, vector: [Float]) throws(KnowledgeError)
    /// The `k` nearest ids, best first.
    func search(_ query: [Float], k: Int) throws(KnowledgeError) -> [(id: Int64, score: Float)]
}

extension ExactVectorIndex: VectorIndex {}

extension HNSWIndex: VectorIndex {
    public func search(_ query: [Float], k: Int) throws(KnowledgeError) -> [(id: Int64, score: Float)] {
        try search(query, k: k, ef: nil)
    }
}

public enum VectorIndexes {
    /// Exact search up to `exactLimit` vectors (a scan is fast and perfect there), an HNSW graph beyond.
    public static func make(dimensions: Int, count: Int, exactLimit: Int = 20_000, parameters: HNSWIndex.Parameters = .init()) -> any VectorIndex {
        count <= exactLimit ? ExactVectorIndex(dimensions: dimensions) : HNSWIndex(dimensions: dimensions, parameters: parameters)
    }
}
