#include "int8_gemm.h"
#include "kernel_level.h"
#include "../CKernelLevel/avx2_dots.h" /* shared, not public */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TANGLE_HAVE_X86 1
#endif

int64_t tangle_qgemm_packed_bytes(int64_t k, int64_t n) { return ((n + 15) / 16) * k * 16; }

void tangle_qgemm_pack(const int8_t *b, int64_t k, int64_t n, int8_t *packed) {
    int64_t blocks = (n + 15) / 16, k4 = k / 4;
    memset(packed, 0, (size_t)tangle_qgemm_packed_bytes(k, n));
    for (int64_t cb = 0; cb < blocks; cb++)
        for (int64_t g = 0; g < k4; g++)
            for (int64_t col = 0; col < 16; col++) {
                int64_t j = cb * 16 + col;
                if (j >= n) break;
                for (int64_t t = 0; t < 4; t++) packed[(cb * k4 + g) * 64 + col * 4 + t] = b[(4 * g + t) * n + j];
            }
}

/* The plain-C kernel, one row and one block of 16 columns at a time. Compiled twice: generic and
   for AVX2 (the compiler vectorises the 16-column loops). */
__attribute__((always_inline)) static inline void gemm_plain_body(
    const uint8_t *a, int64_t lda, int64_t m, int64_t k, const int8_t *packed, int64_t n, const float *row_scale,
    const float *col_scale, const float *bias, int relu, float *c, int64_t ldc) {
    int64_t blocks = (n + 15) / 16, k4 = k / 4;
    for (int64_t i = 0; i < m; i++) {
        const uint8_t *row = a + i * lda;
        for (int64_t cb = 0; cb < blocks; cb++) {
            int32_t acc[16] = {0};
            const int8_t *block = packed + cb * k4 * 64;
            for (int64_t g = 0; g < k4; g++) {
                const int8_t *w = block + g * 64;
                int32_t x0 = row[4 * g], x1 = row[4 * g + 1], x2 = row[4 * g + 2], x3 = row[4 * g + 3];
                for (int col = 0; col < 16; col++)
                    acc[col] += x0 * w[col * 4] + x1 * w[col * 4 + 1] + x2 * w[col * 4 + 2] + x3 * w[col * 4 + 3];
            }
            for (int col = 0; col < 16; col++) {
                int64_t j = cb * 16 + col;
                if (j >= n) break;
                float s = row_scale[i] * col_scale[j];
                float v = fmaf((float)acc[col], s, bias[j]);
                if (relu && !(v > 0)) v = 0;
                c[i * ldc + j] = v;
            }
        }
    }
}

static void gemm_plain(
    const uint8_t *a, int64_t lda, int64_t m, int64_t k, const int8_t *packed, int64_t n, const float *rs, const float *cs,
    const float *bias, int relu, float *c, int64_t ldc) {
    gemm_plain_body(a, lda, m, k, packed, n, rs, cs, bias, relu, c, ldc);
}

#if TANGLE_HAVE_X86
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static void gemm_avx2(
    const uint8_t *a, int64_t lda, int64_t m, int64_t k, const int8_t *packed, int64_t n, const float *rs, const float *cs,
    const float *bias, int relu, float *c, int64_t ldc) {
    int64_t blocks = (n + 15) / 16, k4 = k / 4;
    int32_t acc[2][16];
    for (int64_t cb = 0; cb < blocks; cb++) {
        const int8_t *block = packed + cb * k4 * 64;
        for (int64_t i = 0; i < m; i += 2) {
            int pair = i + 1 < m;
            tangle_avx2_dots16(block, 0, k4, a + i * lda, pair ? a + (i + 1) * lda : NULL, acc[0], acc[1]);
            for (int t = 0; t <= pair; t++)
                for (int col = 0; col < 16; col++) {
                    int64_t j = cb * 16 + col;
                    if (j >= n) break;
                    float s = rs[i + t] * cs[j];
                    float v = fmaf((float)acc[t][col], s, bias[j]);
                    if (relu && !(v > 0)) v = 0;
                    c[(i + t) * ldc + j] = v;
                }
        }
    }
}
#endif

#if TANGLE_HAVE_X86
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vnni,fma")))

/* One register tile: R rows x NB blocks of 16 columns (R * NB <= 24 accumulators). `valid` is how
   many of the tile's columns exist. */
VNNI __attribute__((always_inline)) static inline void tile_vnni(
    const uint8_t *a, int64_t lda, int64_t k4, const int8_t *b0, int R, int NB, int64_t valid, const float *rs, const float *cs,
    const float *bias, int relu, float *c, int64_t ldc) {
    __m512i acc[6][4];
    for (int i = 0; i < R; i++)
        for (int r = 0; r < NB; r++) acc[i][r] = _mm512_setzero_si512();
    const int64_t stride = k4 * 64;
    for (int64_t g = 0; g < k4; g++) {
        __m512i w[4];
        for (int r = 0; r < NB; r++) w[r] = _mm512_loadu_si512((const void *)(b0 + r * stride + g * 64));
        for (int i = 0; i < R; i++) {
            int32_t word;
            memcpy(&word, a + i * lda + g * 4, 4);
            __m512i x = _mm512_set1_epi32(word);
            for (int r = 0; r < NB; r++) acc[i][r] = _mm512_dpbusd_epi32(acc[i][r], x, w[r]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < NB; r++) {
        int64_t j = r * 16;
        if (j >= valid) break;
        __mmask16 mask = valid - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (valid - j)) - 1);
        __m512 scale = _mm512_maskz_loadu_ps(mask, cs + j);
        __m512 b = _mm512_maskz_loadu_ps(mask, bias + j);
        for (int i = 0; i < R; i++) {
            __m512 s = _mm512_mul_ps(_mm512_set1_ps(rs[i]), scale);
            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][r]), s, b);
            if (relu) v = _mm512_max_ps(v, zero);
            _mm512_mask_storeu_ps(c + i * ldc + j, mask, v);
        }
    }
}

#define TILE(R, NB) \
    VNNI static void tile_##R##_##NB(const uint8_t *a, int64_t lda, int64_t k4, const int8_t *b0, int64_t valid, const float *rs, \
        const float *cs, const float *bias, int relu, float *c, int64_t ldc) { \
        tile_vnni(a, lda, k4, b0, R, NB, valid, rs, cs, bias, relu, c, ldc); \
    }
#define TILES(R) TILE(R, 1) TILE(R, 2) TILE(R, 3) TILE(R, 4)
TILES(1) TILES(2) TILES(3) TILES(4) TILES(5) TILES(6)
typedef void (*tile_fn)(const uint8_t *, int64_t, int64_t, const int8_t *, int64_t, const float *, const float *, const float *, int,
    float *, int64_t);
#define TROW(R) {tile_##R##_1, tile_##R##_2, tile_##R##_3, tile_##R##_4}
static const tile_fn tiles[6][4] = {TROW(1), TROW(2), TROW(3), TROW(4), TROW(5), TROW(6)};

static void gemm_avx512(
    const uint8_t *a, int64_t lda, int64_t m, int64_t k, const int8_t *packed, int64_t n, const float *rs, const float *cs,
    const float *bias, int relu, float *c, int64_t ldc) {
    int64_t blocks = (n + 15) / 16, k4 = k / 4;
    /* Column panels outside, row tiles inside: one panel of the packed matrix (k x 64 bytes) stays
       in cache while every row passes it. */
    for (int64_t cb = 0; cb < blocks; cb += 4) {
        int NB = (int)(blocks - cb < 4 ? blocks - cb : 4);
        for (int64_t i = 0; i < m; i += 6) {
            int R = (int)(m - i < 6 ? m - i : 6);
            tiles[R - 1][NB - 1](a + i * lda, lda, k4, packed + cb * k4 * 64, n - cb * 16, rs + i, cs + cb * 16, bias + cb * 16, relu,
                c + i * ldc + cb * 16, ldc);
        }
    }
}
#endif

void tangle_qgemm(
    const uint8_t *a, int64_t lda, int64_t m, int64_t k, const int8_t *packed, int64_t n, const float *row_scale,
    const float *col_scale, const float *bias, int relu, float *c, int64_t ldc) {
    TANGLE_PICK(gemm)(a, lda, m, k, packed, n, row_scale, col_scale, bias, relu, c, ldc);
}

/* One value on the image's 255-step grid: below 0 (or NaN) to 0, beyond the largest to 255. */
static inline uint8_t quantize_value(float x, float inv) {
    float v = x * inv;
    return v > 0 ? (v < 255 ? (uint8_t)(int)(v + 0.5f) : 255) : 0;
}

float tangle_quantize_im2col(
    const float *image, int64_t h, int64_t w, int64_t ch, int64_t kernel, int64_t stride, int64_t pad_top, int64_t pad_left,
    int64_t oh, int64_t ow, uint8_t *padded, int64_t padded_h, int64_t padded_w, uint8_t *rows, int64_t lda) {
    const int64_t size = h * w * ch;
    float mx = 0;
    for (int64_t i = 0; i < size; i++) mx = image[i] > mx ? image[i] : mx; /* NaN never wins */
    if (mx > FLT_MAX) mx = FLT_MAX;
    const float inv = mx > 0 ? 255.0f / mx : 0;
    const int64_t patch4 = (kernel * kernel * ch + 3) / 4 * 4;
    if (kernel == 1 && stride == 1 && pad_top == 0 && pad_left == 0 && oh == h && ow == w) {
        /* A 1x1 convolution (or one projected row): each pixel's values are its row; no padding. */
        for (int64_t p = 0; p < h * w; p++) {
            uint8_t *dst = rows + p * lda;
            for (int64_t c = 0; c < ch; c++) dst[c] = quantize_value(image[p * ch + c], inv);
            if (patch4 > ch) memset(dst + ch, 0, (size_t)(patch4 - ch));
        }
        return mx > 0 ? mx / 255.0f : 0;
    }
    memset(padded, 0, (size_t)(padded_h * padded_w * ch));
    for (int64_t y = 0; y < h; y++) {
        const float *src = image + y * w * ch;
        uint8_t *dst = padded + ((y + pad_top) * padded_w + pad_left) * ch;
        for (int64_t j = 0; j < w * ch; j++) dst[j] = quantize_value(src[j], inv);
    }
    const int64_t span = kernel * ch, patch = kernel * span;
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
            uint8_t *dst = rows + (oy * ow + ox) * lda;
            for (int64_t ky = 0; ky < kernel; ky++)
                memcpy(dst + ky * span, padded + ((oy * stride + ky) * padded_w + ox * stride) * ch, (size_t)span);
            if (patch4 > patch) memset(dst + patch, 0, (size_t)(patch4 - patch));
        }
    return mx > 0 ? mx / 255.0f : 0;
}
