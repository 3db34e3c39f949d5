#ifndef TANGLE_TILE_GEMM_H
#define TANGLE_TILE_GEMM_H
#include <stdint.h>

/// Float32 matrix products for training (the dense layers and the SNNL's pairwise products),
/// register-tiled for AVX-512, so training's speed does not hang on which kernels OpenBLAS chose.
///
/// `c = alpha · op(a) · b`, or `c + alpha · op(a) · b` when `accumulate` is non-zero; row-major,
/// `op(a)` is `m x k` (`a` is `k x m` when `trans_a`), `b` is `k x n`. Each sum `s` is one fixed
/// chain: fused multiply-adds in `p` order starting from 0; then `alpha · s`, then the addition to
/// `c`. Every kernel level gives the same floats. A product with a transposed right-hand side is
/// this one on a transposed copy (`TileGEMM.transpose`). Allocates nothing.
void tangle_tile_gemm(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, int accumulate, float *c, int64_t ldc);

/// Kernels are chosen by `tangle_kernel_level()` (CKernelLevel).
#endif
