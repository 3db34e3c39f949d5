import CBLAS
import TangleBLASCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, typed wrappers over the OpenBLAS routines the numeric core uses.
///
/// All matrices are row-major. Leading dimensions are in elements.
public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C`, single precision, row-major.
    ///
    /// - Parameters:
    ///   - transA: read `A` transposed (`A` is then stored `k x m`).
    ///   - transB: read `B` transposed (`B` is then stored `n x k`).
    ///   - m: rows of `op(A)` and `C`; n: columns of `op(B)` and `C`; k: the shared dimension.
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 {
                for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) }
            } else if beta != 1 {
                for r in 0..<m { for j in 0..<n { c[r * ldc + j] *= beta } }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = alpha * A x + beta * y` for a row-major `m x n` matrix `A` (or `Aᵀ x` with `transA`;
    /// no packing: for one query).
    @inline(__always)
    public static func gemv(
        transA: Bool = false, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// `y += alpha * x` over `n` values.
    @inline(__always)
    public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses for one call (process-wide).
    ///
    /// The numeric core runs its own data-parallel workers and sets this to 1 while they run, so
    /// each worker's calls stay on its own core.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The core type whose kernels OpenBLAS runs (`openblas_get_corename()`), e.g. `"Cooperlake"` or `"Haswell"`.
    public static var coreName: String {
        guard let c = openblas_get_corename() else { return "unknown" }
        return String(cString: c)
    }

    /// Which kernels run and who chose them (OpenBLAS, the user's `OPENBLAS_CORETYPE`, or tangle after a fallback).
    public static var kernel: BLASKernel {
        BLASKernel(core: coreName) { name in getenv(name).map { String(cString: $0) } }
    }

    /// OpenBLAS's build description, e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"`.
    public static var configuration: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c)
    }
}
