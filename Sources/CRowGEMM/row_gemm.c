#include "row_gemm.h"
#include "kernel_level.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TANGLE_HAVE_X86 1
#endif

/* ---- c = act(bias + a·b), one fused multiply-add chain per output ---- */

/* Plain C, vectorisable over the columns (the same chains in the same order); compiled twice:
   generic and for AVX2 with FMA. Four rows share each pass over a block of b. */
__attribute__((always_inline)) static inline void gemm_plain_body(const float *a, int64_t lda, int64_t m, int64_t k, const float *b,
    int64_t ldb, int64_t n, const float *bias, int relu, float *c, int64_t ldc) {
    for (int64_t j0 = 0; j0 < n; j0 += 64) {
        int64_t nj = n - j0 < 64 ? n - j0 : 64;
        for (int64_t i0 = 0; i0 < m; i0 += 4) {
            int64_t ni = m - i0 < 4 ? m - i0 : 4;
            float acc[4][64];
            for (int64_t r = 0; r < ni; r++)
                for (int64_t j = 0; j < nj; j++) acc[r][j] = 0;
            for (int64_t p = 0; p < k; p++) {
                const float *br = b + p * ldb + j0;
                for (int64_t r = 0; r < ni; r++) {
                    float x = a[(i0 + r) * lda + p];
                    for (int64_t j = 0; j < nj; j++) acc[r][j] = fmaf(x, br[j], acc[r][j]);
                }
            }
            for (int64_t r = 0; r < ni; r++) {
                float *cr = c + (i0 + r) * ldc + j0;
                for (int64_t j = 0; j < nj; j++) {
                    float v = acc[r][j] + (bias ? bias[j0 + j] : 0.0f);
                    cr[j] = relu && !(v > 0) ? 0.0f : v;
                }
            }
        }
    }
}

static void gemm_plain(const float *a, int64_t lda, int64_t m, int64_t k, const float *b, int64_t ldb, int64_t n, const float *bias,
    int relu, float *c, int64_t ldc) {
    gemm_plain_body(a, lda, m, k, b, ldb, n, bias, relu, c, ldc);
}

#if TANGLE_HAVE_X86
__attribute__((target("avx2,fma"))) static void gemm_avx2(const float *a, int64_t lda, int64_t m, int64_t k, const float *b,
    int64_t ldb, int64_t n, const float *bias, int relu, float *c, int64_t ldc) {
    gemm_plain_body(a, lda, m, k, b, ldb, n, bias, relu, c, ldc);
}

#define AVX512 __attribute__((target("avx512f,fma")))

/* Defined with the packed kernel below (they share their tiles). */
AVX512 static void gemm_avx512(const float *a, int64_t lda, int64_t m, int64_t k, const float *b, int64_t ldb, int64_t n,
    const float *bias, int relu, float *c, int64_t ldc);
#endif

void tangle_row_gemm(
    const float *a, int64_t lda, int64_t m, int64_t k, const float *b, int64_t ldb, int64_t n, const float *bias, int relu,
    float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    TANGLE_PICK(gemm)(a, lda, m, k, b, ldb, n, bias, relu, c, ldc);
}

int64_t tangle_row_gemm_packed_count(int64_t k, int64_t n) { return (n + 31) / 32 * 32 * k; }

void tangle_row_gemm_pack(const float *b, int64_t ldb, int64_t k, int64_t n, float *packed) {
    for (int64_t j0 = 0; j0 < n; j0 += 32)
        for (int64_t p = 0; p < k; p++)
            for (int64_t j = 0; j < 32; j++) *packed++ = j0 + j < n ? b[p * ldb + j0 + j] : 0.0f;
}

#if TANGLE_HAVE_X86
/* Rows of the packed panel per block: 256 x 32 floats (32 KiB) stay in L1 while every row tile of
   the call passes over them. */
#define PACKED_BLOCK 256

/* R rows (a constant R keeps the accumulators in registers) x up to 32 columns over rows p0..p1 of
   b, whose columns start at `panel` with rows `stride` floats apart (a constant `packed`: 32 floats
   a row, zero-padded, read whole; else read under the column masks). The chains start from 0 (first
   block) or from what the previous block stored in c; the last block adds the bias and the
   activation. */
AVX512 __attribute__((always_inline)) static inline void tile_avx512(const float *a, int64_t lda, int R, int64_t p0,
    int64_t p1, const float *panel, int64_t stride, int packed, __mmask16 m0, __mmask16 m1, __m512 bias0, __m512 bias1,
    int first, int last, int relu, float *c, int64_t ldc) {
    __m512 acc0[8], acc1[8];
    for (int r = 0; r < R; r++) {
        acc0[r] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, c + r * ldc);
        acc1[r] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, c + r * ldc + 16);
    }
    for (int64_t p = p0; p < p1; p++) {
        const float *row = panel + p * stride;
        __m512 w0 = packed ? _mm512_loadu_ps(row) : _mm512_maskz_loadu_ps(m0, row);
        __m512 w1 = packed ? _mm512_loadu_ps(row + 16) : _mm512_maskz_loadu_ps(m1, row + 16);
        for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + p]);
            acc0[r] = _mm512_fmadd_ps(x, w0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(x, w1, acc1[r]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < R; r++) {
        __m512 v0 = acc0[r], v1 = acc1[r];
        if (last) {
            v0 = _mm512_add_ps(v0, bias0);
            v1 = _mm512_add_ps(v1, bias1);
            if (relu) {
                v0 = _mm512_max_ps(v0, zero);
                v1 = _mm512_max_ps(v1, zero);
            }
        }
        _mm512_mask_storeu_ps(c + r * ldc, m0, v0);
        if (m1) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, v1);
    }
}

/* Column blocks of 32; rows of b in blocks that stay in L1 while every row tile passes over them,
   each output's chain carried through c between blocks (exact). `packed` is a constant where this is
   inlined, so each caller gets its own loads. */
AVX512 __attribute__((always_inline)) static inline void blocks_avx512(const float *a, int64_t lda, int64_t m, int64_t k,
    const float *b, int64_t ldb, int packed, int64_t n, const float *bias, int relu, float *c, int64_t ldc) {
    for (int64_t j0 = 0; j0 < n; j0 += 32) {
        int64_t left0 = n - j0, left1 = n - j0 - 16;
        __mmask16 m0 = left0 >= 16 ? 0xFFFF : (__mmask16)((1u << left0) - 1);
        __mmask16 m1 = left1 <= 0 ? 0 : left1 >= 16 ? 0xFFFF : (__mmask16)((1u << left1) - 1);
        __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias + j0) : _mm512_setzero_ps();
        __m512 bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + j0 + 16) : _mm512_setzero_ps();
        const float *panel = packed ? b + j0 * k : b + j0;
        int64_t stride = packed ? 32 : ldb;
        int64_t p0 = 0;
        do {
            int64_t p1 = k - p0 > PACKED_BLOCK ? p0 + PACKED_BLOCK : k;
            int first = p0 == 0, last = p1 == k;
            int64_t i = 0;
            for (; i + 8 <= m; i += 8)
                tile_avx512(
                    a + i * lda, lda, 8, p0, p1, panel, stride, packed, m0, m1, bias0, bias1, first, last, relu, c + i * ldc + j0, ldc);
            switch (m - i) {
#define TAIL(R)                                                                                                                \
    case R:                                                                                                                    \
        tile_avx512(                                                                                                           \
            a + i * lda, lda, R, p0, p1, panel, stride, packed, m0, m1, bias0, bias1, first, last, relu, c + i * ldc + j0, ldc); \
        break;
                TAIL(1) TAIL(2) TAIL(3) TAIL(4) TAIL(5) TAIL(6) TAIL(7)
#undef TAIL
            default: break;
            }
            p0 = p1;
        } while (p0 < k);
    }
}

AVX512 static void gemm_avx512(const float *a, int64_t lda, int64_t m, int64_t k, const float *b, int64_t ldb, int64_t n,
    const float *bias, int relu, float *c, int64_t ldc) {
    blocks_avx512(a, lda, m, k, b, ldb, 0, n, bias, relu, c, ldc);
}

AVX512 static void packed_avx512(const float *a, int64_t lda, int64_t m, int64_t k, const float *packed, int64_t n,
    const float *bias, int relu, float *c, int64_t ldc) {
    blocks_avx512(a, lda, m, k, packed, 32, 1, n, bias, relu, c, ldc);
}
#endif

void tangle_row_gemm_packed(
    const float *a, int64_t lda, int64_t m, int64_t k, const float *packed, int64_t n, const float *bias, int relu, float *c,
    int64_t ldc) {
    if (m <= 0 || n <= 0) return;
#if TANGLE_HAVE_X86
    if (tangle_kernel_level() == 2) {
        packed_avx512(a, lda, m, k, packed, n, bias, relu, c, ldc);
        return;
    }
#endif
    /* Each panel is a k x 32 matrix of its own: the same chains, panel by panel. */
    for (int64_t j0 = 0; j0 < n; j0 += 32)
        tangle_row_gemm(a, lda, m, k, packed + j0 * k, 32, n - j0 < 32 ? n - j0 : 32, bias ? bias + j0 : 0, relu, c + j0, ldc);
}

/* ---- c = alpha · (rows of a) · (rows of b), 16 lanes then a fixed pairwise sum ---- */

__attribute__((always_inline)) static inline float dot_plain_body(const float *x, const float *y, int64_t k) {
    float acc[16];
    for (int l = 0; l < 16; l++) acc[l] = 0;
    int64_t p = 0;
    for (; p + 16 <= k; p += 16)
        for (int l = 0; l < 16; l++) acc[l] = fmaf(x[p + l], y[p + l], acc[l]);
    if (p < k)
        for (int l = 0; l < 16; l++) {
            float u = p + l < k ? x[p + l] : 0.0f, v = p + l < k ? y[p + l] : 0.0f;
            acc[l] = fmaf(u, v, acc[l]);
        }
    for (int l = 0; l < 8; l++) acc[l] = acc[l] + acc[l + 8];
    for (int l = 0; l < 4; l++) acc[l] = acc[l] + acc[l + 4];
    for (int l = 0; l < 2; l++) acc[l] = acc[l] + acc[l + 2];
    return acc[0] + acc[1];
}

__attribute__((always_inline)) static inline void dots_plain_body(const float *a, int64_t lda, int64_t m, const float *b, int64_t ldb,
    int64_t n, int64_t k, float alpha, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * ldc + j] = alpha * dot_plain_body(a + i * lda, b + j * ldb, k);
}

static void dots_plain(const float *a, int64_t lda, int64_t m, const float *b, int64_t ldb, int64_t n, int64_t k, float alpha,
    float *c, int64_t ldc) {
    dots_plain_body(a, lda, m, b, ldb, n, k, alpha, c, ldc);
}

#if TANGLE_HAVE_X86
__attribute__((target("avx2,fma"))) static void dots_avx2(const float *a, int64_t lda, int64_t m, const float *b, int64_t ldb,
    int64_t n, int64_t k, float alpha, float *c, int64_t ldc) {
    dots_plain_body(a, lda, m, b, ldb, n, k, alpha, c, ldc);
}

/* The lanes' pairwise sum: (l, l+8), then (l, l+4), (l, l+2), (0, 1). */
AVX512 static inline float lanes_sum_avx512(__m512 v) {
    __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
}

/* One row of a against four rows of b at a time (the row's loads shared). */
AVX512 static void dots_avx512(const float *a, int64_t lda, int64_t m, const float *b, int64_t ldb, int64_t n, int64_t k,
    float alpha, float *c, int64_t ldc) {
    int64_t full = k / 16 * 16;
    __mmask16 tail = (__mmask16)((1u << (k - full)) - 1);
    for (int64_t i = 0; i < m; i++) {
        const float *x = a + i * lda;
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) {
            const float *y0 = b + j * ldb, *y1 = y0 + ldb, *y2 = y1 + ldb, *y3 = y2 + ldb;
            __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
            for (int64_t p = 0; p < full; p += 16) {
                __m512 xv = _mm512_loadu_ps(x + p);
                s0 = _mm512_fmadd_ps(xv, _mm512_loadu_ps(y0 + p), s0);
                s1 = _mm512_fmadd_ps(xv, _mm512_loadu_ps(y1 + p), s1);
                s2 = _mm512_fmadd_ps(xv, _mm512_loadu_ps(y2 + p), s2);
                s3 = _mm512_fmadd_ps(xv, _mm512_loadu_ps(y3 + p), s3);
            }
            if (tail) {
                __m512 xv = _mm512_maskz_loadu_ps(tail, x + full);
                s0 = _mm512_fmadd_ps(xv, _mm512_maskz_loadu_ps(tail, y0 + full), s0);
                s1 = _mm512_fmadd_ps(xv, _mm512_maskz_loadu_ps(tail, y1 + full), s1);
                s2 = _mm512_fmadd_ps(xv, _mm512_maskz_loadu_ps(tail, y2 + full), s2);
                s3 = _mm512_fmadd_ps(xv, _mm512_maskz_loadu_ps(tail, y3 + full), s3);
            }
            float *cr = c + i * ldc + j;
            cr[0] = alpha * lanes_sum_avx512(s0);
            cr[1] = alpha * lanes_sum_avx512(s1);
            cr[2] = alpha * lanes_sum_avx512(s2);
            cr[3] = alpha * lanes_sum_avx512(s3);
        }
        for (; j < n; j++) {
            const float *y = b + j * ldb;
            __m512 s = _mm512_setzero_ps();
            for (int64_t p = 0; p < full; p += 16) s = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s);
            if (tail) s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x + full), _mm512_maskz_loadu_ps(tail, y + full), s);
            c[i * ldc + j] = alpha * lanes_sum_avx512(s);
        }
    }
}
#endif

void tangle_row_dots(
    const float *a, int64_t lda, int64_t m, const float *b, int64_t ldb, int64_t n, int64_t k, float alpha, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    TANGLE_PICK(dots)(a, lda, m, b, ldb, n, k, alpha, c, ldc);
}
