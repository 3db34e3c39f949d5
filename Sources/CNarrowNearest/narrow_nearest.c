#include "narrow_nearest.h"
#include "kernel_level.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TANGLE_HAVE_X86 1
#endif

int64_t tangle_narrow_packed_count(int64_t count, int64_t dim) { return (count + 15) / 16 * 16 * dim; }

void tangle_narrow_pack(const float *points, int64_t count, int64_t dim, float *packed) {
    memset(packed, 0, (size_t)tangle_narrow_packed_count(count, dim) * sizeof(float));
    for (int64_t j = 0; j < count; j++)
        for (int64_t t = 0; t < dim; t++) packed[((j / 16) * dim + t) * 16 + j % 16] = points[j * dim + t];
}

static inline float limit_of(int32_t bits) {
    if (bits == INT32_MAX) return INFINITY;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

__attribute__((always_inline)) static inline void candidates_body(
    const float *packed, int64_t dim, int64_t first_block, int64_t block_count, int64_t valid, const float *queries,
    int64_t query_count, const int32_t *limits, int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count) {
    for (int64_t i = 0; i < query_count; i++) {
        const float *q = queries + i * dim;
        const float limit = limit_of(limits[i]);
        for (int64_t b = first_block; b < first_block + block_count; b++) {
            const float *block = packed + b * dim * 16;
            float d[16] = {0};
            for (int64_t t = 0; t < dim; t++)
                for (int p = 0; p < 16; p++) {
                    float v = q[t] - block[t * 16 + p];
                    d[p] = fmaf(v, v, d[p]);
                }
            for (int p = 0; p < 16; p++) {
                int64_t j = b * 16 + p;
                if (j >= valid) break;
                if (d[p] != d[p]) d[p] = INFINITY; /* NaN counts as infinitely far */
                if (limits[i] == INT32_MAX || d[p] < limit) {
                    int32_t bits;
                    memcpy(&bits, &d[p], 4);
                    out_index[i * ldc + out_count[i]] = (int32_t)j;
                    out_distance[i * ldc + out_count[i]] = bits;
                    out_count[i]++;
                }
            }
        }
    }
}

static void candidates_plain(
    const float *packed, int64_t dim, int64_t first_block, int64_t block_count, int64_t valid, const float *queries,
    int64_t query_count, const int32_t *limits, int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count) {
    candidates_body(packed, dim, first_block, block_count, valid, queries, query_count, limits, out_index, out_distance, ldc, out_count);
}

#if TANGLE_HAVE_X86
__attribute__((target("avx2,fma"))) static void candidates_avx2(
    const float *packed, int64_t dim, int64_t first_block, int64_t block_count, int64_t valid, const float *queries,
    int64_t query_count, const int32_t *limits, int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count) {
    candidates_body(packed, dim, first_block, block_count, valid, queries, query_count, limits, out_index, out_distance, ldc, out_count);
}

#define AVX512 __attribute__((target("avx512f,fma")))

/* One block against up to 8 queries: the block's features are loaded once per feature and shared. */
AVX512 static void candidates_avx512(
    const float *packed, int64_t dim, int64_t first_block, int64_t block_count, int64_t valid, const float *queries,
    int64_t query_count, const int32_t *limits, int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int64_t i0 = 0; i0 < query_count; i0 += 8) {
        int mq = (int)(query_count - i0 < 8 ? query_count - i0 : 8);
        __m512 limit[8];
        for (int i = 0; i < mq; i++) limit[i] = _mm512_set1_ps(limit_of(limits[i0 + i]));
        for (int64_t b = first_block; b < first_block + block_count; b++) {
            const float *block = packed + b * dim * 16;
            __m512 acc[8];
            for (int i = 0; i < 8; i++) acc[i] = _mm512_setzero_ps();
            for (int64_t t = 0; t < dim; t++) {
                __m512 p = _mm512_loadu_ps(block + t * 16);
                for (int i = 0; i < mq; i++) {
                    __m512 v = _mm512_sub_ps(_mm512_set1_ps(queries[(i0 + i) * dim + t]), p);
                    acc[i] = _mm512_fmadd_ps(v, v, acc[i]);
                }
            }
            int64_t left = valid - b * 16;
            if (left <= 0) break;
            __mmask16 inside = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            __m512i index = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(b * 16)), lanes);
            for (int i = 0; i < mq; i++) {
                acc[i] = _mm512_mask_mov_ps(acc[i], _mm512_cmp_ps_mask(acc[i], acc[i], _CMP_UNORD_Q), _mm512_set1_ps(INFINITY));
                __mmask16 m = limits[i0 + i] == INT32_MAX ? inside : _mm512_mask_cmp_ps_mask(inside, acc[i], limit[i], _CMP_LT_OQ);
                if (!m) continue;
                int64_t at = (i0 + i) * ldc + out_count[i0 + i];
                /* Compress in registers, then one full store (the lists have 16 values of slack). */
                _mm512_storeu_si512((void *)(out_index + at), _mm512_maskz_compress_epi32(m, index));
                _mm512_storeu_si512((void *)(out_distance + at), _mm512_maskz_compress_epi32(m, _mm512_castps_si512(acc[i])));
                out_count[i0 + i] += __builtin_popcount((unsigned)m);
            }
        }
    }
}
#endif

void tangle_narrow_candidates(
    const float *packed, int64_t dim, int64_t first_block, int64_t block_count, int64_t valid, const float *queries,
    int64_t query_count, const int32_t *limits, int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count) {
    TANGLE_PICK(candidates)(packed, dim, first_block, block_count, valid, queries, query_count, limits, out_index, out_distance, ldc,
        out_count);
}
