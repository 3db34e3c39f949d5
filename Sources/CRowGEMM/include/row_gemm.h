#ifndef TANGLE_ROW_GEMM_H
#define TANGLE_ROW_GEMM_H

#include <stdint.h>

/// Float32 matrix products for judging whose every output is computed by one fixed sequence of
/// operations, whatever the number of rows, a row's position among them, or the kernel level: an
/// input's numbers never depend on the batch it came in (BLAS's blocking, its one-row paths and its
/// edge tiles do change the last bits with the row count).
///
/// `c[i][j] = act(bias[j] + Σ_p a[i][p] · b[p][j])`, row-major, where the sum is one chain of fused
/// multiply-adds in `p` order starting from 0, the bias is added once after it (0 when `bias` is
/// NULL), and `act` is ReLU (`v > 0 ? v : 0`, NaN becomes 0) when `relu` is non-zero. `b` is `k x n`
/// with leading dimension `ldb`. Every kernel level gives the same floats.
void tangle_row_gemm(
    const float *a, int64_t lda, int64_t m, int64_t k, const float *b, int64_t ldb, int64_t n, const float *bias, int relu,
    float *c, int64_t ldc);

/// Floats `tangle_row_gemm_pack` writes for a `k x n` matrix: 32-column panels, each `k` rows of 32
/// contiguous floats (the last panel zero-padded).
int64_t tangle_row_gemm_packed_count(int64_t k, int64_t n);

/// Copies `b` (`k x n`, leading dimension `ldb`) into `packed` in the panel order the AVX-512 kernel
/// streams.
void tangle_row_gemm_pack(const float *b, int64_t ldb, int64_t k, int64_t n, float *packed);

/// `tangle_row_gemm` with `b` given packed by `tangle_row_gemm_pack`: the same floats (every level
/// reads the panels; the AVX-512 kernel streams them in blocks of rows that stay in cache, carrying
/// each output's chain through memory, which is exact).
void tangle_row_gemm_packed(
    const float *a, int64_t lda, int64_t m, int64_t k, const float *packed, int64_t n, const float *bias, int relu, float *c,
    int64_t ldc);

/// Dot products of the rows of `a` (`m x k`) with the rows of `b` (`n x k`), times `alpha`:
/// `c[i][j] = alpha · dot(a_i, b_j)`. Each dot is summed in 16 lanes (lane `l` takes the terms
/// `p ≡ l mod 16` by fused multiply-adds in `p` order, the tail padded with zeros), the lanes then
/// added pairwise (`l + 8`, `+ 4`, `+ 2`, `+ 1`), and the sum multiplied by `alpha`: one fixed order
/// whatever `m`, `n` or the kernel level.
void tangle_row_dots(
    const float *a, int64_t lda, int64_t m, const float *b, int64_t ldb, int64_t n, int64_t k, float alpha, float *c, int64_t ldc);

/// Kernels are chosen by `tangle_kernel_level()` (CKernelLevel).

#endif
