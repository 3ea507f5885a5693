/// Query heads' attention over a sequence's cache, for a decoded or prefilled token: scores = scale · K q,
/// softmax, output = Vᵀ p, with the cache's keys and values in half precision (`KVCache`), one position's
/// `dimension` halves after another. BLAS reads no halves, so this is SIMD of its own; the conversion is one
/// instruction per sixteen values.
enum HeadAttention {
    /// `heads` query heads that share one cache head (grouped-query attention), stored one after another in
    /// `queries` and `output`, `dimension` apart; `scores` holds `heads` × `length` values. Scores and softmax go
    /// head by head; the weighted sum reads each row of values once for the whole group where its sums fit in
    /// registers (head size 64 with up to four heads, 128 with up to two), converting its halves once instead of
    /// once per head.
    static func attend(
        queries: UnsafePointer<Float>, heads: Int, keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>, length: Int,
        dimension: Int, scale: Float, scores: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>
    ) {
        for head in 0..<heads {
            let row = scores + head &* length
            score(queries + head &* dimension, keys, length: length, dimension: dimension, scale: scale, into: row)
            RowKernels.softmax(row, count: length)
        }
        switch (dimension, heads) {
        case (64, 2): groupWeightedSum(scores, values, length: length, sums: InlineArray<2, InlineArray<4, SIMD16<Float>>>(repeating: .init(repeating: .zero)), into: output)
        case (64, 3): groupWeightedSum(scores, values, length: length, sums: InlineArray<3, InlineArray<4, SIMD16<Float>>>(repeating: .init(repeating: .zero)), into: output)
        case (64, 4): groupWeightedSum(scores, values, length: length, sums: InlineArray<4, InlineArray<4, SIMD16<Float>>>(repeating: .init(repeating: .zero)), into: output)
        case (128, 2): groupWeightedSum(scores, values, length: length, sums: InlineArray<2, InlineArray<8, SIMD16<Float>>>(repeating: .init(repeating: .zero)), into: output)
        default:
            for head in 0..<heads {
                let (weights, target) = (scores + head &* length, output + head &* dimension)
                switch dimension {
                case 64: groupWeightedSum(weights, values, length: length, sums: InlineArray<1, InlineArray<4, SIMD16<Float>>>(repeating: .init(repeating: .zero)), into: target)
                case 128: groupWeightedSum(weights, values, length: length, sums: InlineArray<1, InlineArray<8, SIMD16<Float>>>(repeating: .init(repeating: .zero)), into: target)
                default: weightedSum(weights, values, length: length, dimension: dimension, into: target)
                }
            }
        }
    }

    /// One head's scores: scale · K q for every position.
    private static func score(
        _ query: UnsafePointer<Float>, _ keys: UnsafePointer<Float16>, length: Int, dimension: Int, scale: Float,
        into scores: UnsafeMutablePointer<Float>
    ) {
        var position = 0
        if dimension % 16 == 0 {
            while position &+ 16 <= length {
                sixteenScores(query, keys + position &* dimension, dimension: dimension, scale: scale, into: scores + position)
                position &+= 16
            }
        }
        while position < length {
            scores[position] = dot(query, keys + position &* dimension, count: dimension) * scale
            position &+= 1
        }
    }

    /// The weighted sums of a group of heads (or one) over the same values, row by row: each row is read once, in
    /// order, and each sixteen of its halves converted once and added into every head's sum with that head's
    /// weight. `sums` comes in as zeros; its counts fix the group and head size when this is compiled, so the sums
    /// stay in registers.
    @inline(__always)
    private static func groupWeightedSum<let heads: Int, let chunks: Int>(
        _ weights: UnsafePointer<Float>, _ values: UnsafePointer<Float16>, length: Int,
        sums: InlineArray<heads, InlineArray<chunks, SIMD16<Float>>>, into output: UnsafeMutablePointer<Float>
    ) {
        var sums = sums
        let dimension = chunks &* 16
        for position in 0..<length {
            let row = values + position &* dimension
            var weight = InlineArray<heads, SIMD16<Float>>(repeating: .zero)
            for head in 0..<heads {
                let at: Int = head &* length &+ position
                weight[head] = SIMD16(repeating: weights[at])
            }
            for chunk in 0..<chunks {
                let value = halves(row + chunk &* 16)
                for head in 0..<heads { sums[head][chunk] = sums[head][chunk].addingProduct(value, weight[head]) }
            }
        }
        for head in 0..<heads {
            for chunk in 0..<chunks {
                let at: Int = head &* dimension &+ chunk &* 16
                UnsafeMutableRawPointer(output + at).storeBytes(of: sums[head][chunk], as: SIMD16<Float>.self)
            }
        }
    }

    /// The scores of sixteen positions (`dimension` a multiple of 16): a vector of products per position, then the
    /// sixteen vectors summed lane by lane together in four rounds of pairing, where each position's own lane sum
    /// took as many instructions as its products.
    @inline(__always)
    private static func sixteenScores(
        _ query: UnsafePointer<Float>, _ keys: UnsafePointer<Float16>, dimension: Int, scale: Float, into scores: UnsafeMutablePointer<Float>
    ) {
        var sums = InlineArray<16, SIMD16<Float>>(repeating: .zero)
        var column = 0
        while column < dimension {
            let q = load(query + column)
            for position in 0..<16 {
                sums[position] = sums[position].addingProduct(q, halves(keys + (position &* dimension &+ column)))
            }
            column &+= 16
        }
        var eight = InlineArray<8, SIMD16<Float>>(repeating: .zero)
        for index in 0..<8 { eight[index] = pairSums(sums[2 &* index], sums[2 &* index &+ 1]) }
        var four = InlineArray<4, SIMD16<Float>>(repeating: .zero)
        for index in 0..<4 { four[index] = pairSums(eight[2 &* index], eight[2 &* index &+ 1]) }
        let totals = pairSums(pairSums(four[0], four[1]), pairSums(four[2], four[3]))
        UnsafeMutableRawPointer(scores).storeBytes(of: totals * scale, as: SIMD16<Float>.self)
    }

    /// Adjacent lanes of `a` added, then those of `b`: applied four times to sixteen vectors (pairing the results
    /// in order), lane `j` ends as the sum of vector `j`'s lanes.
    @inline(__always)
    private static func pairSums(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf) + SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf)
    }

    /// Two accumulators and a four-deep lane sum: positions are independent, so the processor overlaps one
    /// position's sum with the next one's products (`sum()` would chain fifteen adds).
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float16>, count: Int) -> Float {
        var even = SIMD16<Float>(), odd = SIMD16<Float>()
        var index = 0
        while index &+ 32 <= count {
            even = even.addingProduct(load(a + index), halves(b + index))
            odd = odd.addingProduct(load(a + (index &+ 16)), halves(b + (index &+ 16)))
            index &+= 32
        }
        if index &+ 16 <= count {
            even = even.addingProduct(load(a + index), halves(b + index))
            index &+= 16
        }
        var tail: Float = 0
        while index < count {
            tail += a[index] * Float(b[index])
            index &+= 1
        }
        return (even + odd).laneSum + tail
    }

    /// `output[d] = Σ_t weights[t] · values[t][d]`, sixteen values of `d` at a time with four positions in flight,
    /// for head sizes other than 64 and 128. It streams the rows once per sixteen values of `d`: at long contexts
    /// that waits on memory (at 1,100 positions it took more of a single-stream decode step than the weights).
    @inline(__always)
    private static func weightedSum(
        _ weights: UnsafePointer<Float>, _ values: UnsafePointer<Float16>, length: Int, dimension: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        var column = 0
        while column &+ 16 <= dimension {
            let base = values + column
            var sums = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
            var position = 0
            while position &+ 4 <= length {
                let row = base + position &* dimension
                sums.0 = sums.0.addingProduct(halves(row), SIMD16(repeating: weights[position]))
                sums.1 = sums.1.addingProduct(halves(row + dimension), SIMD16(repeating: weights[position &+ 1]))
                sums.2 = sums.2.addingProduct(halves(row + 2 &* dimension), SIMD16(repeating: weights[position &+ 2]))
                sums.3 = sums.3.addingProduct(halves(row + 3 &* dimension), SIMD16(repeating: weights[position &+ 3]))
                position &+= 4
            }
            while position < length {
                sums.0 = sums.0.addingProduct(halves(base + position &* dimension), SIMD16(repeating: weights[position]))
                position &+= 1
            }
            UnsafeMutableRawPointer(output + column).storeBytes(of: (sums.0 + sums.1) + (sums.2 + sums.3), as: SIMD16<Float>.self)
            column &+= 16
        }
        while column < dimension {
            var sum: Float = 0
            for position in 0..<length { sum += weights[position] * Float(values[position &* dimension &+ column]) }
            output[column] = sum
            column &+= 1
        }
    }

    @inline(__always)
    private static func halves(_ pointer: UnsafePointer<Float16>) -> SIMD16<Float> {
        Half.floats(UnsafeRawPointer(pointer))
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }
}
