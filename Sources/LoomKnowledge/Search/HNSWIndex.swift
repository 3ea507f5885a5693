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
    /// Every node's links on layer 0, the layer each search spends its time in: a count then `2m` slots per node,
    /// flat, so a search reads them without an array per node.
    private var bottom: [Int32] = []
    /// Links on the layers above 0 of the nodes that reach them (`upper[node][layer - 1]`).
    private var upper: [[[Int32]]] = []
    private var entry = -1
    private var topLayer = -1
    private var generator: SplitMix64

    public init(dimensions: Int, parameters: Parameters = Parameters(), seed: UInt64 = 42) {
        self.dimensions = dimensions
        self.parameters = parameters
        self.generator = SplitMix64(seed: seed)
    }

    public var count: Int { ids.count }

    private var bottomLimit: Int { parameters.m * 2 }
    private var bottomStride: Int { bottomLimit + 1 }

    public mutating func add(id: Int64, vector: [Float]) throws(KnowledgeError) {
        guard vector.count == dimensions else { throw .dimensionMismatch(expected: dimensions, got: vector.count) }
        let node = ids.count
        let unit = VectorMath.normalized(vector)
        vectors += unit
        ids.append(id)
        // Layer drawn from an exponential distribution with mean 1/ln(M).
        let uniform = Double(generator.next() >> 11) / Double(1 << 53)
        let layer = Int(-log(max(uniform, 1e-12)) / log(Double(max(parameters.m, 2))))
        bottom += repeatElement(0, count: bottomStride)
        upper.append(Array(repeating: [], count: layer))
        guard entry >= 0 else {
            entry = node
            topLayer = layer
            return
        }
        var current = entry
        if topLayer > layer {
            for level in stride(from: topLayer, to: layer, by: -1) { current = greedy(from: current, query: unit, layer: level) }
        }
        var visited = VisitedSet()
        for level in stride(from: min(layer, topLayer), through: 0, by: -1) {
            let found = searchLayer(query: unit, from: current, ef: parameters.efConstruction, layer: level, visited: &visited)
            let limit = level == 0 ? bottomLimit : parameters.m
            let chosen = select(found, limit: parameters.m)
            setLinks(node, level, chosen.map { Int32($0.node) })
            for neighbour in chosen {
                var theirs = links(neighbour.node, level)
                theirs.append(Int32(node))
                if theirs.count > limit {
                    let scored = theirs.map { Scored(node: Int($0), score: score(neighbour.node, Int($0))) }.sorted { $0.score > $1.score }
                    theirs = select(scored, limit: limit).map { Int32($0.node) }
                }
                setLinks(neighbour.node, level, theirs)
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
        var visited = VisitedSet()
        let found = searchLayer(query: unit, from: current, ef: max(ef ?? parameters.efSearch, k), layer: 0, visited: &visited)
        return found.prefix(k).map { (ids[$0.node], $0.score) }
    }

    // MARK: - Graph

    struct Scored {
        var node: Int
        var score: Float
    }

    /// A node's links on a layer, as a copy (for building).
    func links(_ node: Int, _ layer: Int) -> [Int32] {
        guard layer == 0 else { return upper[node][layer - 1] }
        let start = node &* bottomStride
        return Array(bottom[(start + 1)..<(start + 1 + Int(bottom[start]))])
    }

    mutating func setLinks(_ node: Int, _ layer: Int, _ list: [Int32]) {
        guard layer == 0 else {
            upper[node][layer - 1] = list
            return
        }
        let start = node &* bottomStride
        bottom[start] = Int32(list.count)
        for (slot, link) in list.enumerated() { bottom[start + 1 + slot] = link }
    }

    /// Calls `body` with each link of `node` on `layer`, reading layer 0 in place.
    @inline(__always)
    func forEachLink(_ node: Int, _ layer: Int, _ body: (Int) -> Void) {
        guard layer == 0 else {
            for link in upper[node][layer - 1] { body(Int(link)) }
            return
        }
        bottom.withUnsafeBufferPointer { links in
            let start = node &* bottomStride
            for slot in 0..<Int(links[start]) { body(Int(links[start &+ 1 &+ slot])) }
        }
    }

    func score(_ a: Int, _ b: Int) -> Float {
        vectors.withUnsafeBufferPointer { VectorKernels.fusedDot($0.baseAddress! + a &* dimensions, $0.baseAddress! + b &* dimensions, count: dimensions) }
    }

    /// Climbs to the neighbour closest to the query on one layer until none is closer.
    func greedy(from start: Int, query: [Float], layer: Int) -> Int {
        vectors.withUnsafeBufferPointer { stored in
            query.withUnsafeBufferPointer { unit in
                let base = stored.baseAddress!, q = unit.baseAddress!
                var current = start
                var best = VectorKernels.fusedDot(base + current &* dimensions, q, count: dimensions)
                var improved = true
                while improved {
                    improved = false
                    forEachLink(current, layer) { neighbour in
                        let candidate = VectorKernels.fusedDot(base + neighbour &* dimensions, q, count: dimensions)
                        if candidate > best {
                            best = candidate
                            current = neighbour
                            improved = true
                        }
                    }
                }
                return current
            }
        }
    }

    /// Best-first search on one layer keeping the `ef` closest found; returns them best first. A candidate's new
    /// neighbours are gathered first and scored together: their vectors are far apart in memory, and independent
    /// loads let the processor wait for several misses at once instead of one after another.
    func searchLayer(query: [Float], from start: Int, ef: Int, layer: Int, visited: inout VisitedSet) -> [Scored] {
        visited.removeAll()
        let batch = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(bottomLimit, parameters.m) + 1)
        let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: batch.count)
        defer {
            batch.deallocate()
            scores.deallocate()
        }
        return vectors.withUnsafeBufferPointer { stored in
            query.withUnsafeBufferPointer { unit in
                let base = stored.baseAddress!, q = unit.baseAddress!
                var candidates = ScoredHeap(largestFirst: true)
                var results = ScoredHeap(largestFirst: false)
                _ = visited.insert(start)
                let first = Scored(node: start, score: VectorKernels.fusedDot(base + start &* dimensions, q, count: dimensions))
                candidates.push(first)
                results.push(first)
                while let candidate = candidates.pop() {
                    if results.count >= ef, let worst = results.top, candidate.score < worst.score { break }
                    var gathered = 0
                    forEachLink(candidate.node, layer) { node in
                        guard gathered < batch.count, visited.insert(node) else { return }
                        batch[gathered] = node
                        gathered &+= 1
                    }
                    for index in 0..<gathered { scores[index] = VectorKernels.fusedDot(base + batch[index] &* dimensions, q, count: dimensions) }
                    for index in 0..<gathered {
                        let scored = Scored(node: batch[index], score: scores[index])
                        if results.count < ef || scored.score > results.top!.score {
                            candidates.push(scored)
                            results.push(scored)
                            if results.count > ef { _ = results.pop() }
                        }
                    }
                }
                return results.sortedBestFirst()
            }
        }
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
}

/// Which nodes one search has seen: an open-addressing set sized to the search, not to the index (an array of a
/// stamp per node cost a 400 KB allocation and its page faults per query at 100k nodes).
struct VisitedSet {
    private var slots = [Int32](repeating: -1, count: 1024)
    private var used = 0

    mutating func removeAll() {
        if used > 0 {
            for index in slots.indices { slots[index] = -1 }
            used = 0
        }
    }

    /// True when `node` had not been seen.
    mutating func insert(_ node: Int) -> Bool {
        if used &* 2 >= slots.count { grow() }
        let mask = slots.count &- 1
        // Fibonacci hashing spreads neighbouring node numbers over the table.
        var index = Int(truncatingIfNeeded: (UInt64(node) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while true {
            let slot = slots[index]
            if slot == Int32(truncatingIfNeeded: node) { return false }
            if slot < 0 {
                slots[index] = Int32(truncatingIfNeeded: node)
                used &+= 1
                return true
            }
            index = (index &+ 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots.filter { $0 >= 0 }
        slots = [Int32](repeating: -1, count: slots.count * 2)
        used = 0
        for node in old { _ = insert(Int(node)) }
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
