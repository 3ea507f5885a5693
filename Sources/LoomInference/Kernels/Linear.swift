import COpenBLAS

/// `y = W x` for one vector or many: rows are spread over the compute pool. One vector, or a few against a
/// quantised matrix (decoding sequences together), goes through the block kernels, which decode each block once
/// for up to eight vectors. More vectors (prefill) dequantise a tile of rows at a time and multiply it with all of
/// them through sgemm, so each weight is read once per batch.
public final class Linear: @unchecked Sendable {
    // Scratch buffers are owned here and used by one forward pass at a time (callers serialise passes).
    let pool: ComputePool
    private let batch = BlockBatch()
    private var tiles: [UnsafeMutablePointer<Float>]
    private var tileCapacity = 0
    private var partials: [UnsafeMutablePointer<Float>]
    private var partialCapacity = 0
    static let tileRows = 64
    /// Up to this many vectors, decoding each block once for all of them beats dequantising tiles for sgemm
    /// (measured with `loom bench inference`); it is also the widest block kernel.
    static let blockKernelBatchLimit = 8

    public init(pool: ComputePool) {
        self.pool = pool
        self.tiles = (0..<pool.threads).map { _ in .allocate(capacity: 1) }
        self.partials = (0..<pool.threads).map { _ in .allocate(capacity: 1) }
    }

    deinit {
        for buffer in tiles + partials { buffer.deallocate() }
    }

    /// `y[0..<rows] = W · x`.
    public func apply(_ w: WeightMatrix, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        apply(w, x, count: 1, into: y)
    }

    /// `Y[i] = W · X[i]` for `count` vectors stored row after row (`X` is count × columns, `Y` count × rows).
    public func apply(_ w: WeightMatrix, _ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>) {
        guard !Self.takesBlockKernels(w, count: count) else {
            multiplyByBlocks([(w, y)], x, count: count)
            return
        }
        reserveTiles(Self.tileRows * w.columns)
        let tileCount = (w.rows + Self.tileRows - 1) / Self.tileRows
        let tiles = self.tiles
        pool.run { part in
            let scratch = tiles[part]
            var tile = part
            while tile < tileCount {
                let first = tile &* Self.tileRows
                let rows = min(Self.tileRows, w.rows - first)
                w.dequantize(rows: first..<first + rows, into: scratch)
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(rows), Int32(w.columns), 1, x, Int32(w.columns), scratch,
                    Int32(w.columns), 0, y + first, Int32(w.rows))
                tile &+= tiles.count
            }
        }
    }

    /// `DX[i] += Wᵀ · DY[i]` for `count` vectors (`DY` is count × rows, `DX` count × columns): the backward pass of
    /// `apply`. Tiles of rows are dequantised one at a time and multiplied through sgemm; each thread sums its
    /// tiles' products apart (thread 0 straight into `DX`), and the parts are added in a fixed order, so results
    /// do not depend on timing.
    public func accumulateTransposed(_ w: WeightMatrix, _ dy: UnsafePointer<Float>, count: Int, into dx: UnsafeMutablePointer<Float>) {
        let rowsPerTile = Self.transposedTileRows
        reserveTiles(rowsPerTile * w.columns)
        let size = count * w.columns
        if size > partialCapacity {
            for partial in partials { partial.deallocate() }
            partials = (0..<pool.threads).map { _ in .allocate(capacity: size) }
            partialCapacity = size
        }
        let tileCount = (w.rows + rowsPerTile - 1) / rowsPerTile
        let (tiles, partials) = (self.tiles, self.partials)
        pool.run { part in
            let target = part == 0 ? dx : partials[part]
            if part > 0 { target.initialize(repeating: 0, count: size) }
            var tile = part
            while tile < tileCount {
                let first = tile &* rowsPerTile
                let rows = min(rowsPerTile, w.rows - first)
                w.dequantize(rows: first..<first + rows, into: tiles[part])
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(w.columns), Int32(rows), 1, dy + first, Int32(w.rows),
                    tiles[part], Int32(w.columns), 1, target, Int32(w.columns))
                tile &+= tiles.count
            }
        }
        guard pool.threads > 1 else { return }
        pool.parallelFor(size) { range in
            for part in 1..<partials.count {
                let source = partials[part]
                for index in range { dx[index] += source[index] }
            }
        }
    }

    /// Rows per tile of the transposed product: a deeper sgemm than `tileRows`, since every tile's product is
    /// added into the whole output.
    static let transposedTileRows = 256

    private func reserveTiles(_ size: Int) {
        guard size > tileCapacity else { return }
        for tile in tiles { tile.deallocate() }
        tiles = (0..<pool.threads).map { _ in .allocate(capacity: size) }
        tileCapacity = size
    }

    /// `Y_j[i] = W_j · X[i]` for matrices that read the same vectors (a layer's query, key and value; its gate and
    /// up): through the block kernels, the vectors are prepared once and the pool runs all the products as one job,
    /// so its threads meet once instead of once per matrix.
    public func apply(_ products: [(matrix: WeightMatrix, output: UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, count: Int) {
        guard products.allSatisfy({ Self.takesBlockKernels($0.matrix, count: count) }) else {
            for product in products { apply(product.matrix, x, count: count, into: product.output) }
            return
        }
        multiplyByBlocks(products, x, count: count)
    }

    /// One vector always, and up to `blockKernelBatchLimit` against a quantised matrix.
    private static func takesBlockKernels(_ w: WeightMatrix, count: Int) -> Bool {
        count == 1 || (w.isQuantized && count <= blockKernelBatchLimit)
    }

    private func multiplyByBlocks(_ products: [(matrix: WeightMatrix, output: UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, count: Int) {
        batch.load(x, count: count, columns: products[0].matrix.columns, pool: pool)
        let batch = self.batch
        // About eight chunks per thread in all, a multiple of 16 rows each (the kernels take rows two at a time, or
        // interleaved in groups of 16).
        let rows = products.reduce(0) { $0 + $1.matrix.rows }
        let chunk = max(16, (rows / (pool.threads * 8) + 1) & ~15)
        var chunks: [(product: Int, rows: Range<Int>)] = []
        for (index, product) in products.enumerated() {
            precondition(product.matrix.columns == products[0].matrix.columns, "products share their input")
            for start in stride(from: 0, to: product.matrix.rows, by: chunk) {
                chunks.append((index, start..<min(product.matrix.rows, start + chunk)))
            }
        }
        pool.forEachChunk(chunks.count, chunk: 1) { claimed in
            for (index, range) in chunks[claimed] {
                let (w, y) = products[index]
                w.multiply(batch, into: y, outputStride: w.rows, rows: range)
            }
        }
    }
}
