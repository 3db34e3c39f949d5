#include "tile_gemm.h"
#include "kernel_level.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TANGLE_HAVE_X86 1
#define AVX512 __attribute__((target("avx512f,avx512dq,fma")))
#endif

/* Every multiply-add below is an explicit fmaf or _mm512_fmadd_ps; nothing else may be fused, or
   the plain kernel (which has no FMA instruction to fuse with) would round differently. */
#pragma clang fp contract(off)

#define ALWAYS static inline __attribute__((always_inline))

ALWAYS float finish(float s, float alpha, float c, int accumulate) { return accumulate ? c + alpha * s : alpha * s; }

/* ---- plain C: the reference (also compiled for AVX2) ---- */

ALWAYS void broadcast_plain_body(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
    const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j0 = 0; j0 < n; j0 += 64) {
            int64_t nj = n - j0 < 64 ? n - j0 : 64;
            float acc[64];
            for (int64_t j = 0; j < nj; j++) acc[j] = 0;
            for (int64_t p = 0; p < k; p++) {
                float x = trans_a ? a[p * lda + i] : a[i * lda + p];
                const float *br = b + p * ldb + j0;
                for (int64_t j = 0; j < nj; j++) acc[j] = fmaf(x, br[j], acc[j]);
            }
            float *cr = c + i * ldc + j0;
            for (int64_t j = 0; j < nj; j++) cr[j] = finish(acc[j], alpha, cr[j], accumulate);
        }
}

ALWAYS void gemm_plain_body(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
    const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    broadcast_plain_body(trans_a, m, n, k, alpha, a, lda, b, ldb, accumulate, c, ldc);
}

static void gemm_plain(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
    const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    gemm_plain_body(trans_a, m, n, k, alpha, a, lda, b, ldb, accumulate, c, ldc);
}

#if TANGLE_HAVE_X86
__attribute__((target("avx2,fma"))) static void gemm_avx2(int trans_a, int64_t m, int64_t n, int64_t k, float alpha,
    const float *a, int64_t lda, const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    gemm_plain_body(trans_a, m, n, k, alpha, a, lda, b, ldb, accumulate, c, ldc);
}

/* ---- AVX-512 ---- */

/* R rows (up to 6) x NQ vectors of 16 columns (up to 4; masks mk[q] for the last block), over the
   sums' terms p0..p1: one broadcast of op(a)[i][p] per row and NQ loads of b's row p per step.
   The running sums come from `part` (a row of 64 per output row) unless this is the first block,
   and go back there unless it is the last, where they are finished into c: a chain carried through
   memory is the same chain. */
AVX512 ALWAYS void broadcast_tile(int trans_a, float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, int accumulate,
    float *c, int64_t ldc, int64_t i0, int R, int64_t j0, int NQ, const __mmask16 *mk, int64_t p0, int64_t p1, float *part, int first,
    int last) {
    __m512 acc[6][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < NQ; q++) acc[r][q] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(part + (i0 + r) * 64 + 16 * q);
    for (int64_t p = p0; p < p1; p++) {
        __m512 bv[4];
        for (int q = 0; q < NQ; q++) bv[q] = _mm512_maskz_loadu_ps(mk[q], b + p * ldb + j0 + 16 * q);
        for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(trans_a ? a[p * lda + i0 + r] : a[(i0 + r) * lda + p]);
            for (int q = 0; q < NQ; q++) acc[r][q] = _mm512_fmadd_ps(x, bv[q], acc[r][q]);
        }
    }
    if (!last) {
        for (int r = 0; r < R; r++)
            for (int q = 0; q < NQ; q++) _mm512_storeu_ps(part + (i0 + r) * 64 + 16 * q, acc[r][q]);
        return;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    for (int r = 0; r < R; r++)
        for (int q = 0; q < NQ; q++) {
            float *cr = c + (i0 + r) * ldc + j0 + 16 * q;
            __m512 v = _mm512_mul_ps(va, acc[r][q]);
            if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(mk[q], cr), v);
            _mm512_mask_storeu_ps(cr, mk[q], v);
        }
}

/* Terms per block: b's panel of KC rows by 64 columns (64 KiB) stays in cache while every row tile
   of a chunk passes over it. Rows go in chunks of MC, whose running sums between blocks (24 KiB)
   live on the stack: a product allocates nothing. */
enum { KC = 256, MC = 96 };

AVX512 static void broadcast_chunk(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
    const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc, float *part) {
    const int64_t kc = k > KC ? KC : (k > 0 ? k : 1);
    for (int64_t j0 = 0; j0 < n; j0 += 64) {
        int64_t left = n - j0;
        __mmask16 mk[4];
        for (int q = 0; q < 4; q++) {
            int64_t l = left - 16 * q;
            mk[q] = l <= 0 ? 0 : l >= 16 ? 0xFFFF : (__mmask16)((1u << l) - 1);
        }
        for (int64_t p0 = 0; p0 < k || p0 == 0; p0 += kc) {
            int64_t p1 = p0 + kc < k ? p0 + kc : k;
            int first = p0 == 0, last = p1 >= k;
            int64_t i0 = 0;
            /* NQ is passed as a constant (4, the masks blanking what lies past n) so the accumulators
               stay in registers. */
            for (; i0 + 6 <= m; i0 += 6)
                broadcast_tile(trans_a, alpha, a, lda, b, ldb, accumulate, c, ldc, i0, 6, j0, 4, mk, p0, p1, part, first, last);
#define REST(R) case R: broadcast_tile(trans_a, alpha, a, lda, b, ldb, accumulate, c, ldc, i0, R, j0, 4, mk, p0, p1, part, first, last); break;
            switch (m - i0) { REST(5) REST(4) REST(3) REST(2) REST(1) default: break; }
#undef REST
            if (last) break;
        }
    }
}

AVX512 static void broadcast_avx512(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
    const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    float part[MC * 64];
    for (int64_t m0 = 0; m0 < m; m0 += MC) {
        int64_t rows = m - m0 < MC ? m - m0 : MC;
        broadcast_chunk(trans_a, rows, n, k, alpha, trans_a ? a + m0 : a + m0 * lda, lda, b, ldb, accumulate, c + m0 * ldc, ldc, part);
    }
}

AVX512 static void gemm_avx512(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
    const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    broadcast_avx512(trans_a, m, n, k, alpha, a, lda, b, ldb, accumulate, c, ldc);
}
#endif

void tangle_tile_gemm(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
    const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    TANGLE_PICK(gemm)(trans_a, m, n, k, alpha, a, lda, b, ldb, accumulate, c, ldc);
}
