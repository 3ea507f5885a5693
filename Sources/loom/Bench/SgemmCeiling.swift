import COpenBLAS
import LoomInference

/// OpenBLAS sgemm GFLOP/s on a given shape with its rows split over a compute pool: the arithmetic ceiling the
/// dense parts of a benchmark are held against, measured in the same run.
enum SgemmCeiling {
    static func measure(pool: ComputePool, rows: Int, columns: Int, inner: Int) -> Double {
        let a = [Float](repeating: 0.5, count: rows * inner)
        let b = [Float](repeating: 0.25, count: columns * inner)
        var c = [Float](repeating: 0, count: rows * columns)
        let started = ContinuousClock.now
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    let (a, b, c) = (a.baseAddress!, b.baseAddress!, c.baseAddress!)
                    pool.parallelFor(rows) { range in
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(range.count), Int32(columns), Int32(inner), 1,
                            a + range.lowerBound * inner, Int32(inner), b, Int32(inner), 0, c + range.lowerBound * columns, Int32(columns))
                    }
                }
            }
        }
        return 2 * Double(rows) * Double(columns) * Double(inner) / (ContinuousClock.now - started).seconds / 1e9
    }
}
