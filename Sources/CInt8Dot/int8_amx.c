/* The 8-bit candidate search on AMX-INT8 tiles (Intel Sapphire Rapids and later): 32 queries against
   32 stored points per step, TDPBSUD (signed query bytes times unsigned stored bytes, summed in
   int32), then the same distance test as the AVX-512 kernel. Integer sums are exact, so every kernel
   finds the same candidates. */
#include "int8_amx.h"
#include "int8_dot.h"
#include "kernel_level.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define AMX __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw")))

/* The 64-byte tile configuration of palette 1. */
typedef struct {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* Distances and the candidate test for up to 16 queries (the rows of `dots`) against 16 points from `j`. */
AMX static void select_rows(
    const int32_t *dots, int rows, int64_t j, int64_t valid, const int32_t *norms, const int32_t *biases, const int32_t *limits,
    int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *count) {
    if (j >= valid) return;
    __mmask16 inside = valid - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (valid - j)) - 1);
    __m512i pn = _mm512_maskz_loadu_epi32(inside, norms + j);
    __m512i index = _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32((int)j));
    for (int i = 0; i < rows; i++) {
        __m512i dot = _mm512_loadu_si512((const void *)(dots + i * 16));
        __m512i dist = _mm512_sub_epi32(_mm512_add_epi32(_mm512_set1_epi32(biases[i]), pn), _mm512_add_epi32(dot, dot));
        __mmask16 m = _mm512_mask_cmplt_epi32_mask(inside, dist, _mm512_set1_epi32(limits[i]));
        if (m) {
            _mm512_storeu_si512((void *)(out_index + i * ldc + count[i]), _mm512_maskz_compress_epi32(m, index));
            _mm512_storeu_si512((void *)(out_distance + i * ldc + count[i]), _mm512_maskz_compress_epi32(m, dist));
            count[i] += __builtin_popcount(m);
        }
    }
}

/* Up to 32 queries. The queries are copied with their groups padded to a multiple of 16 with zeros;
   a stored block's tile then reads up to 15 groups past the block, which the zeros cancel — from the
   next block, or, at the end of the stored points, from a zeroed copy. */
AMX static void candidates_amx32(
    const uint8_t *packed, int64_t dim4, int64_t first_block, int64_t block_count, int64_t valid, const int8_t *queries,
    int64_t query_count, const int32_t *norms, const int32_t *biases, const int32_t *limits, int32_t *out_index, int32_t *out_distance,
    int64_t ldc, int64_t *out_count, int8_t *qpad) {
    const int64_t steps = (dim4 + 15) / 16, qstride = steps * 64;
    memset(qpad, 0, (size_t)(32 * qstride));
    for (int64_t i = 0; i < query_count; i++) memcpy(qpad + i * qstride, queries + i * dim4 * 4, (size_t)(dim4 * 4));
    const int64_t total_groups = (valid + 15) / 16 * dim4; /* groups in the stored buffer */
    uint8_t tail[2][16 * 64];
    tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) {
        config.colsb[t] = 64;
        config.rows[t] = 16;
    }
    _tile_loadconfig(&config);
    int32_t dots[4][256];
    const int rows0 = query_count < 16 ? (int)query_count : 16, rows1 = query_count > 16 ? (int)(query_count - 16) : 0;
    for (int64_t b = 0; b < block_count; b += 2) {
        const int pair = b + 1 < block_count;
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
        for (int64_t s = 0; s < steps; s++) {
            const uint8_t *src[2];
            for (int r = 0; r <= pair; r++) {
                int64_t g = (first_block + b + r) * dim4 + s * 16;
                src[r] = packed + g * 64;
                if (g + 16 > total_groups) { /* the last stored groups: read from a zero-padded copy */
                    memset(tail[r], 0, sizeof tail[r]);
                    if (total_groups > g) memcpy(tail[r], src[r], (size_t)((total_groups - g) * 64));
                    src[r] = tail[r];
                }
            }
            /* Each product starts as soon as its two tiles are in: loads and products interleaved. */
            _tile_loadd(4, qpad + s * 64, qstride);
            _tile_loadd(6, src[0], 64);
            _tile_dpbsud(0, 4, 6);
            if (pair) {
                _tile_loadd(7, src[1], 64);
                _tile_dpbsud(2, 4, 7);
            }
            _tile_loadd(5, qpad + 16 * qstride + s * 64, qstride);
            _tile_dpbsud(1, 5, 6);
            if (pair) _tile_dpbsud(3, 5, 7);
        }
        _tile_stored(0, dots[0], 64);
        _tile_stored(1, dots[1], 64);
        if (pair) {
            _tile_stored(2, dots[2], 64);
            _tile_stored(3, dots[3], 64);
        }
        for (int r = 0; r <= pair; r++) {
            int64_t j = (first_block + b + r) * 16;
            select_rows(dots[2 * r], rows0, j, valid, norms, biases, limits, out_index, out_distance, ldc, out_count);
            if (rows1 > 0)
                select_rows(dots[2 * r + 1], rows1, j, valid, norms, biases + 16, limits + 16, out_index + 16 * ldc, out_distance + 16 * ldc,
                    ldc, out_count + 16);
        }
    }
    _tile_release();
}

void tangle_i8_candidates_amx(
    const uint8_t *packed, int64_t dim4, int64_t first_block, int64_t block_count, int64_t valid, const int8_t *queries,
    int64_t query_count, const int32_t *norms, const int32_t *biases, const int32_t *limits, int32_t *out_index, int32_t *out_distance,
    int64_t ldc, int64_t *out_count) {
    const int64_t bytes = 32 * ((dim4 + 15) / 16) * 64;
    int8_t local[16384];
    int8_t *qpad = bytes <= (int64_t)sizeof local ? local : malloc((size_t)bytes);
    for (int64_t i = 0; i < query_count; i += 32) {
        int64_t n = query_count - i < 32 ? query_count - i : 32;
        candidates_amx32(packed, dim4, first_block, block_count, valid, queries + i * dim4 * 4, n, norms, biases + i, limits + i,
            out_index + i * ldc, out_distance + i * ldc, ldc, out_count + i, qpad);
    }
    if (qpad != local) free(qpad);
}

#else
void tangle_i8_candidates_amx(
    const uint8_t *packed, int64_t dim4, int64_t first_block, int64_t block_count, int64_t valid, const int8_t *queries,
    int64_t query_count, const int32_t *norms, const int32_t *biases, const int32_t *limits, int32_t *out_index, int32_t *out_distance,
    int64_t ldc, int64_t *out_count) {
    (void)packed, (void)dim4, (void)first_block, (void)block_count, (void)valid, (void)queries, (void)query_count, (void)norms;
    (void)biases, (void)limits, (void)out_index, (void)out_distance, (void)ldc, (void)out_count;
    abort(); /* never chosen off x86 */
}
#endif
