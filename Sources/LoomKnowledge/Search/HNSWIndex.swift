import Foundation
import LoomInference

/// Approximate nearest neighbours by cosine: a hierarchical navigable small-world graph (Malkov & Yashunin 2018)
/// over unit vectors, with the neighbour-selection heuristic that keeps links spread across clusters. For dataset
/// versions too large to scan on every query; `ExactVectorIndex` is exact and is used below that size.
public struct HNSWIndex: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Links per node above the bottom layer (twice as many at the bottom).
        public var m: Int
        public var efConstruction: Int
        public var efSearch: Int

        public init(m: Int = 16, efConstruction: Int = 100, efSearch: Int = 64) {
            self.m = m
            self.efConstruction = efConstruction
            self.efSearch = efSearch
        }
    }

    public let dimensions: Int
    public let parameters: Parameters
    private var vectors: [Float] = []
    public private(set) var ids: [Int64] = []
    /// For each node, its links on each layer it lives on (layer 0 first).
    private var links: [[[Int32]]] = []
    private var entry = -1
    private var topLayer = -1
    private var generator: SplitMix64

    public init(dimensions: Int, parameters: Parameters = Parameters(), seed: UInt64 = 42) {
        self.dimensions = dimensions
        self.parameters = parameters
        self.generator = SplitMix64(seed: seed)
    }

    public var count: Int { ids.count }

    public mutating func add(id: Int64, vector: [Float]) throws(KnowledgeError) {
        guard vector.count == dimensions else { throw .dimensionMismatch(expected: dimensions, got: vector.count) }
        let node = ids.count
        vectors += VectorMath.normalized(vector)
        ids.append(id)
        // Layer drawn from an exponential distribution with mean 1/ln(M).
        let uniform = Double(generator.next() >> 11) / Double(1 << 53)
        let layer = Int(-log(max(uniform, 1e-12)) / log(Double(max(parameters.m, 2))))
        links.append(Array(repeating: [], count: layer + 1))
        guard entry >= 0 else {
            entry = node
            topLayer = layer
            return
        }
        var current = entry
        if topLayer > layer {
            for level in stride(from: topLayer, to: layer, by: -1) { current = greedy(from: current, to: node, layer: level) }
        }
        var visited = Visited(count: ids.count)
        for level in stride(from: min(layer, topLayer), through: 0, by: -1) {
            let found = searchLayer(queryNode: node, query: nil, from: [current], ef: parameters.efConstruction, layer: level, visited: &visited)
            let limit = level == 0 ? parameters.m * 2 : parameters.m
            let chosen = select(found, limit: parameters.m)
            links[node][level] = chosen.map { Int32($0.node) }
            for neighbour in chosen {
                links[neighbour.node][level].append(Int32(node))
                if links[neighbour.node][level].count > limit { shrink(neighbour.node, layer: level, limit: limit) }
            }
            current = found.first?.node ?? current
        }
        if layer > topLayer {
            topLayer = layer
            entry = node
        }
    }

    /// The `k` nearest ids by cosine similarity, best first; `ef` (default `efSearch`, at least `k`) trades time for recall.
    public func search(_ query: [Float], k: Int, ef: Int? = nil) throws(KnowledgeError) -> [(id: Int64, score: Float)] {
        guard query.count == dimensions else { throw .dimensionMismatch(expected: dimensions, got: query.count) }
        guard entry >= 0, k > 0 else { return [] }
        let unit = VectorMath.normalized(query)
        var current = entry
        for level in stride(from: topLayer, to: 0, by: -1) { current = greedy(from: current, query: unit, layer: level) }
        var visited = Visited(count: ids.count)
        let found = searchLayer(queryNode: nil, query: unit, from: [current], ef: max(ef ?? parameters.efSearch, k), layer: 0, visited: &visited)
        return found.prefix(k).map { (ids[$0.node], $0.score) }
    }

    // MARK: - Graph search

    struct Scored {
        var node: Int
        var score: Float
    }

    func score(_ a: Int, _ b: Int) -> Float {
        vectors.withUnsafeBufferPointer { VectorKernels.dot($0.baseAddress! + a * dimensions, $0.baseAddress! + b * dimensions, count: dimensions) }
    }

    func score(_ node: Int, _ query: [Float]) -> Float {
        vectors.withUnsafeBufferPointer { stored in
            query.withUnsafeBufferPointer { VectorKernels.dot(stored.baseAddress! + node * dimensions, $0.baseAddress!, count: dimensions) }
        }
    }

    func similarity(_ node: Int, queryNode: Int?, query: [Float]?) -> Float {
        if let queryNode { return score(node, queryNode) }
        return score(node, query!)
    }

    /// Climbs to the neighbour closest to the query on one layer until none is closer.
    func greedy(from start: Int, to queryNode: Int? = nil, query: [Float]? = nil, layer: Int) -> Int {
        var current = start
        var best = similarity(current, queryNode: queryNode, query: query)
        var improved = true
        while improved {
            improved = false
            for neighbour in links[current][layer] {
                let candidate = similarity(Int(neighbour), queryNode: queryNode, query: query)
                if candidate > best {
                    best = candidate
                    current = Int(neighbour)
                    improved = true
                }
            }
        }
        return current
    }

    /// Best-first search on one layer keeping the `ef` closest found; returns them best first.
    func searchLayer(queryNode: Int?, query: [Float]?, from starts: [Int], ef: Int, layer: Int, visited: inout Visited) -> [Scored] {
        visited.reset()
        var candidates = ScoredHeap(largestFirst: true)
        var results = ScoredHeap(largestFirst: false)
        for start in starts where visited.insert(start) {
            let scored = Scored(node: start, score: similarity(start, queryNode: queryNode, query: query))
            candidates.push(scored)
            results.push(scored)
        }
        while let candidate = candidates.pop() {
            if results.count >= ef, let worst = results.top, candidate.score < worst.score { break }
            for neighbour in links[candidate.node][layer] {
                let node = Int(neighbour)
                guard layer < links[node].count, visited.insert(node) else { continue }
                let scored = Scored(node: node, score: similarity(node, queryNode: queryNode, query: query))
                if results.count < ef || scored.score > results.top!.score {
                    candidates.push(scored)
                    results.push(scored)
                    if results.count > ef { _ = results.pop() }
                }
            }
        }
        return results.sortedBestFirst()
    }

    /// The heuristic: take candidates best first, skipping one that is closer to an already chosen neighbour than to
    /// the new node, so links reach out in different directions instead of into one cluster.
    func select(_ candidates: [Scored], limit: Int) -> [Scored] {
        var chosen: [Scored] = []
        for candidate in candidates where chosen.count < limit {
            if chosen.allSatisfy({ score(candidate.node, $0.node) < candidate.score }) { chosen.append(candidate) }
        }
        return chosen
    }

    mutating func shrink(_ node: Int, layer: Int, limit: Int) {
        let scored = links[node][layer].map { Scored(node: Int($0), score: score(node, Int($0))) }.sorted { $0.score > $1.score }
        links[node][layer] = select(scored, limit: limit).map { Int32($0.node) }
    }
}

/// Which nodes one search has seen: a stamp per node, so starting a new search costs nothing.
struct Visited {
    private var stamps: [UInt32]
    private var current: UInt32 = 0

    init(count: Int) {
        stamps = Array(repeating: 0, count: count)
    }

    mutating func reset() {
        current &+= 1
        if current == 0 {
            stamps = Array(repeating: 0, count: stamps.count)
            current = 1
        }
    }

    /// True when `node` had not been seen.
    mutating func insert(_ node: Int) -> Bool {
        guard stamps[node] != current else { return false }
        stamps[node] = current
        return true
    }
}

/// A binary heap of scored nodes, largest or smallest score on top.
struct ScoredHeap {
    private var items: [HNSWIndex.Scored] = []
    let largestFirst: Bool

    init(largestFirst: Bool) {
        self.largestFirst = largestFirst
    }

    var count: Int { items.count }
    var top: HNSWIndex.Scored? { items.first }

    private func above(_ a: Int, _ b: Int) -> Bool {
        largestFirst ? items[a].score > items[b].score : items[a].score < items[b].score
    }

    mutating func push(_ item: HNSWIndex.Scored) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard above(child, parent) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> HNSWIndex.Scored? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let popped = items.removeLast()
        var parent = 0
        while true {
            let (left, right) = (2 * parent + 1, 2 * parent + 2)
            var next = parent
            if left < items.count && above(left, next) { next = left }
            if right < items.count && above(right, next) { next = right }
            if next == parent { break }
            items.swapAt(parent, next)
            parent = next
        }
        return popped
    }

    func sortedBestFirst() -> [HNSWIndex.Scored] {
        items.sorted { $0.score > $1.score || ($0.score == $1.score && $0.node < $1.node) }
    }
}
