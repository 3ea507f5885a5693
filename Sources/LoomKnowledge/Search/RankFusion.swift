/// Merging ranked lists from semantic and full-text search into one.
public enum RankFusion {
    /// Reciprocal rank fusion: each list adds 1 / (k + rank) for an id (rank from 1); k = 60 as in the paper.
    public static func reciprocal(_ lists: [[Int64]], k: Double = 60) -> [(id: Int64, score: Double)] {
        var scores: [Int64: Double] = [:]
        var first: [Int64: Int] = [:]
        var order = 0
        for list in lists {
            for (rank, id) in list.enumerated() {
                scores[id, default: 0] += 1 / (k + Double(rank + 1))
                if first[id] == nil {
                    first[id] = order
                    order += 1
                }
            }
        }
        return scores.map { ($0.key, $0.value) }.sorted { $0.score > $1.score || ($0.score == $1.score && first[$0.id]! < first[$1.id]!) }
    }

    /// Weighted scores: each list's scores scaled to 0…1 by its best, then combined with the list's weight.
    public static func weighted(_ lists: [(results: [(id: Int64, score: Double)], weight: Double)]) -> [(id: Int64, score: Double)] {
        var scores: [Int64: Double] = [:]
        for (results, weight) in lists {
            guard let best = results.map(\.score).max(), best > 0 else { continue }
            for result in results { scores[result.id, default: 0] += weight * max(result.score, 0) / best }
        }
        return scores.map { ($0.key, $0.value) }.sorted { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
    }
}
