import CTileGEMM

/// Training's float32 matrix products (`tangle_tile_gemm`, CTileGEMM): register-tiled AVX-512
/// kernels of Tangle's own for the dense layers and the SNNL, so training runs as fast whichever kernels OpenBLAS chose (a machine
/// that sets `OPENBLAS_CORETYPE=Haswell` halves OpenBLAS's rate on an AVX-512 processor), and every
/// output is one fixed chain of operations whatever the kernel level.
public enum TileGEMM {
    /// `C = alpha · op(A) · B`, or `C += alpha · op(A) · B` with `accumulate`, row-major; `op(A)`
    /// is `m x k` (`A` is `k x m` with `transA`), `B` is `k x n`. Each sum runs in `p` order from 0
    /// as one chain of fused multiply-adds; `alpha` multiplies it, and it is then added to `C`. For
    /// `A · Bᵀ`, multiply by a ``transpose(rows:columns:_:lda:into:ldt:)`` of `B`.
    @inline(__always)
    public static func gemm(
        transA: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, accumulate: Bool = false, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        tangle_tile_gemm(transA ? 1 : 0, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), accumulate ? 1 : 0, c, Int64(ldc))
    }

    /// Writes the transpose of rows `rows` of `a` (`[_, columns]`, row stride `lda`) into `t`:
    /// `t[p * ldt + i] = a[i * lda + p]` for `i` in `rows`, `p` in `0..<columns`. Sixteen rows at a
    /// time, so the rows read stay in cache and every write is a 64-byte run.
    public static func transpose(
        rows: Range<Int>, columns: Int, _ a: UnsafePointer<Float>, lda: Int, into t: UnsafeMutablePointer<Float>, ldt: Int
    ) {
        var i0 = rows.lowerBound
        while i0 < rows.upperBound {
            let i1 = min(i0 + 16, rows.upperBound)
            for p in 0..<columns {
                let column = t + p * ldt
                for i in i0..<i1 { column[i] = a[i * lda + p] }
            }
            i0 = i1
        }
    }
}
