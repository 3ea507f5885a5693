import COpenBLAS

/// Cosine search by brute force: unit-length vectors in one row-major matrix, every score from one sgemv, the best
/// `k` kept in a small heap. Exact, and for up to some tens of thousands of chunks as fast as anything.
public struct ExactVectorIndex: Sendable {
    public let dimensions: Int
    private(set) var vectors: [Float] = []
    public private(set) var ids: [Int64] = []

    public init(dimensions: Int) {
        self.dimensions = dimensions
    }

    public var count: Int { ids.count }

    /// Adds a vector (normalised here) under `id`.
    public mutating func add(id: Int64, vector: [Float]) throws(KnowledgeError) {
        guard vector.count == dimensions else { throw .dimensionMismatch(expected: dimensions, got: vector.count) }
        vectors += VectorMath.normalized(vector)
        ids.append(id)
    }

    /// The `k` nearest ids by cosine similarity, best first.
    public func search(_ query: [Float], k: Int) throws(KnowledgeError) -> [(id: Int64, score: Float)] {
        guard query.count == dimensions else { throw .dimensionMismatch(expected: dimensions, got: query.count) }
        guard !ids.isEmpty, k > 0 else { return [] }
        let unit = VectorMath.normalized(query)
        var scores = [Float](repeating: 0, count: ids.count)
        vectors.withUnsafeBufferPointer { matrix in
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(ids.count), Int32(dimensions), 1, matrix.baseAddress, Int32(dimensions), unit, 1, 0, &scores, 1)
        }
        return TopK.select(scores, k: k).map { (ids[$0.index], $0.score) }
    }
}

enum VectorMath {
    static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}

/// The `k` largest of a list of scores, best first, through a min-heap of size `k`.
enum TopK {
    static func select(_ scores: [Float], k: Int) -> [(index: Int, score: Float)] {
        var heap: [(index: Int, score: Float)] = []
        heap.reserveCapacity(k)
        for (index, score) in scores.enumerated() {
            if heap.count < k {
                heap.append((index, score))
                siftUp(&heap, heap.count - 1)
            } else if score > heap[0].score {
                heap[0] = (index, score)
                siftDown(&heap, 0)
            }
        }
        return heap.sorted { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
    }

    static func siftUp(_ heap: inout [(index: Int, score: Float)], _ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].score < heap[parent].score else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    static func siftDown(_ heap: inout [(index: Int, score: Float)], _ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].score < heap[smallest].score { smallest = left }
            if right < heap.count && heap[right].score < heap[smallest].score { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
