#include "int8_dot.h"
#include "int8_amx.h"
#include "kernel_level.h"
#include "../CKernelLevel/avx2_dots.h" /* shared, not public */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TANGLE_HAVE_X86 1
#endif

int64_t tangle_i8_packed_bytes(int64_t count, int64_t dim) {
    int64_t blocks = (count + TANGLE_I8_BLOCK - 1) / TANGLE_I8_BLOCK;
    int64_t dim4 = (dim + 3) / 4;
    return blocks * dim4 * 4 * TANGLE_I8_BLOCK;
}

void tangle_i8_pack(const int8_t *points, int64_t count, int64_t dim, uint8_t *packed) {
    int64_t blocks = (count + TANGLE_I8_BLOCK - 1) / TANGLE_I8_BLOCK;
    int64_t dim4 = (dim + 3) / 4;
    memset(packed, 128, (size_t)tangle_i8_packed_bytes(count, dim));
    for (int64_t b = 0; b < blocks; b++) {
        for (int64_t p = 0; p < TANGLE_I8_BLOCK; p++) {
            int64_t point = b * TANGLE_I8_BLOCK + p;
            if (point >= count) break;
            const int8_t *row = points + point * dim;
            for (int64_t t = 0; t < dim; t++) {
                int64_t g = t / 4, byte = t % 4;
                packed[((b * dim4 + g) * TANGLE_I8_BLOCK + p) * 4 + byte] = (uint8_t)((int)row[t] + 128);
            }
        }
    }
}

/* Portable kernel: the same sums in plain C. */
static void dots_portable(
    const uint8_t *packed, int64_t dim4, int64_t first_block, int64_t block_count,
    const int8_t *queries, int64_t query_count, int32_t *out, int64_t ldo) {
    for (int64_t i = 0; i < query_count; i++) {
        const int8_t *q = queries + i * dim4 * 4;
        for (int64_t b = 0; b < block_count; b++) {
            const uint8_t *block = packed + (first_block + b) * dim4 * 4 * TANGLE_I8_BLOCK;
            int32_t acc[TANGLE_I8_BLOCK] = {0};
            for (int64_t g = 0; g < dim4; g++) {
                const uint8_t *group = block + g * 4 * TANGLE_I8_BLOCK;
                for (int p = 0; p < TANGLE_I8_BLOCK; p++) {
                    acc[p] += (int32_t)group[p * 4] * q[g * 4] + (int32_t)group[p * 4 + 1] * q[g * 4 + 1]
                        + (int32_t)group[p * 4 + 2] * q[g * 4 + 2] + (int32_t)group[p * 4 + 3] * q[g * 4 + 3];
                }
            }
            memcpy(out + i * ldo + b * TANGLE_I8_BLOCK, acc, sizeof acc);
        }
    }
}

#if TANGLE_HAVE_X86
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* One tile: MQ queries x NB blocks of 16 points, accumulators in registers; then distances and the
   candidates below each query's limit. */
VNNI __attribute__((always_inline)) static inline void tile_select_vnni(
    const uint8_t *block0, int64_t dim4, const int8_t *q, int MQ, int NB, int64_t j0, int64_t valid, const int32_t *norms,
    const int32_t *biases, const int32_t *limits, int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *count) {
    __m512i acc[8][3];
    for (int i = 0; i < MQ; i++)
        for (int r = 0; r < NB; r++) acc[i][r] = _mm512_setzero_si512();
    const int64_t stride = dim4 * 64;
    const int64_t qstride = dim4 * 4;
    for (int64_t g = 0; g < dim4; g++) {
        __m512i d[3];
        for (int r = 0; r < NB; r++) d[r] = _mm512_loadu_si512((const void *)(block0 + r * stride + g * 64));
        for (int i = 0; i < MQ; i++) {
            int32_t word;
            memcpy(&word, q + i * qstride + g * 4, 4);
            __m512i b = _mm512_set1_epi32(word);
            for (int r = 0; r < NB; r++) acc[i][r] = _mm512_dpbusd_epi32(acc[i][r], d[r], b);
        }
    }
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int r = 0; r < NB; r++) {
        int64_t j = j0 + r * 16;
        if (j >= valid) break;
        __mmask16 inside = valid - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (valid - j)) - 1);
        __m512i pn = _mm512_maskz_loadu_epi32(inside, norms + j);
        __m512i index = _mm512_add_epi32(lanes, _mm512_set1_epi32((int)j));
        for (int i = 0; i < MQ; i++) {
            __m512i dist = _mm512_sub_epi32(_mm512_add_epi32(_mm512_set1_epi32(biases[i]), pn), _mm512_add_epi32(acc[i][r], acc[i][r]));
            __mmask16 m = _mm512_mask_cmplt_epi32_mask(inside, dist, _mm512_set1_epi32(limits[i]));
            if (m) {
                /* Compress in registers and store all 16 lanes (vpcompressd to memory is slow on
                   some processors); the lists keep 16 entries of slack for the overhang. */
                _mm512_storeu_si512((void *)(out_index + i * ldc + count[i]), _mm512_maskz_compress_epi32(m, index));
                _mm512_storeu_si512((void *)(out_distance + i * ldc + count[i]), _mm512_maskz_compress_epi32(m, dist));
                count[i] += __builtin_popcount(m);
            }
        }
    }
}

#define STILE(MQ, NB) \
    VNNI static void stile_##MQ##_##NB(const uint8_t *b0, int64_t dim4, const int8_t *q, int64_t j0, int64_t valid, const int32_t *norms, \
        const int32_t *biases, const int32_t *limits, int32_t *oi, int32_t *od, int64_t ldc, int64_t *count) { \
        tile_select_vnni(b0, dim4, q, MQ, NB, j0, valid, norms, biases, limits, oi, od, ldc, count); \
    }
#define STILES(MQ) STILE(MQ, 1) STILE(MQ, 2) STILE(MQ, 3)
STILES(1) STILES(2) STILES(3) STILES(4) STILES(5) STILES(6) STILES(7) STILES(8)
typedef void (*stile_fn)(const uint8_t *, int64_t, const int8_t *, int64_t, int64_t, const int32_t *, const int32_t *, const int32_t *,
    int32_t *, int32_t *, int64_t, int64_t *);
#define SROW(MQ) {stile_##MQ##_1, stile_##MQ##_2, stile_##MQ##_3}
static const stile_fn stiles[8][3] = {SROW(1), SROW(2), SROW(3), SROW(4), SROW(5), SROW(6), SROW(7), SROW(8)};

static void candidates_vnni(
    const uint8_t *packed, int64_t dim4, int64_t first_block, int64_t block_count, int64_t valid,
    const int8_t *queries, int64_t query_count, const int32_t *norms, const int32_t *biases, const int32_t *limits,
    int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count) {
    const int64_t stride = dim4 * 64;
    if (query_count == 1) {
        /* One query is memory-bound: one block at a time reads the points as one sequential stream. */
        for (int64_t b = 0; b < block_count; b++)
            stiles[0][0](packed + (first_block + b) * stride, dim4, queries, (first_block + b) * 16, valid, norms, biases, limits, out_index,
                out_distance, ldc, out_count);
        return;
    }
    for (int64_t i = 0; i < query_count; i += 8) {
        int mq = (int)(query_count - i < 8 ? query_count - i : 8);
        for (int64_t b = 0; b < block_count; b += 3) {
            int nb = (int)(block_count - b < 3 ? block_count - b : 3);
            stiles[mq - 1][nb - 1](packed + (first_block + b) * stride, dim4, queries + i * dim4 * 4, (first_block + b) * 16, valid, norms,
                biases + i, limits + i, out_index + i * ldc, out_distance + i * ldc, ldc, out_count + i);
        }
    }
}

#endif

#if TANGLE_HAVE_X86
/* Two queries (or one: q1 == NULL) against one block of stored points (unsigned), exactly. */
__attribute__((target("avx2"))) static void block_dots_avx2(
    const uint8_t *block, int64_t dim4, const int8_t *q0, const int8_t *q1, int32_t *out0, int32_t *out1) {
    tangle_avx2_dots16(block, 1, dim4, q0, q1, out0, out1);
}
#endif

static int kernel_level(void) { return tangle_kernel_level(); }

int64_t tangle_i8_query_tile(void) { return tangle_amx_available() ? 32 : 8; }

void tangle_i8_candidates(
    const uint8_t *packed, int64_t dim4, int64_t first_block, int64_t block_count, int64_t valid,
    const int8_t *queries, int64_t query_count, const int32_t *norms, const int32_t *biases, const int32_t *limits,
    int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count) {
    int level = kernel_level();
#if TANGLE_HAVE_X86
    if (level == 2 && query_count > 8 && tangle_amx_available()) {
        tangle_i8_candidates_amx(packed, dim4, first_block, block_count, valid, queries, query_count, norms, biases, limits, out_index,
            out_distance, ldc, out_count);
        return;
    }
    if (level == 2) {
        candidates_vnni(packed, dim4, first_block, block_count, valid, queries, query_count, norms, biases, limits, out_index,
            out_distance, ldc, out_count);
        return;
    }
#endif
    int32_t dots[2][TANGLE_I8_BLOCK];
    for (int64_t b = 0; b < block_count; b++) {
        const uint8_t *block = packed + (first_block + b) * dim4 * 64;
        /* Queries two at a time, so each block's bytes are widened once for both. */
        for (int64_t i = 0; i < query_count; i += 2) {
            int pair = i + 1 < query_count;
#if TANGLE_HAVE_X86
            if (level == 1) {
                block_dots_avx2(block, dim4, queries + i * dim4 * 4, pair ? queries + (i + 1) * dim4 * 4 : NULL, dots[0], dots[1]);
            } else
#endif
            {
                dots_portable(packed, dim4, first_block + b, 1, queries + i * dim4 * 4, 1 + pair, dots[0], TANGLE_I8_BLOCK);
            }
            for (int t = 0; t <= pair; t++) {
                int64_t q = i + t;
                for (int p = 0; p < TANGLE_I8_BLOCK; p++) {
                    int64_t j = (first_block + b) * TANGLE_I8_BLOCK + p;
                    if (j >= valid) break;
                    int32_t d = biases[q] + norms[j] - 2 * dots[t][p];
                    if (d < limits[q]) {
                        out_index[q * ldc + out_count[q]] = (int32_t)j;
                        out_distance[q * ldc + out_count[q]] = d;
                        out_count[q]++;
                    }
                }
            }
        }
    }
}

/* Keys order candidates by distance, then index. */
static inline uint64_t key_of(int32_t distance, int32_t index) { return ((uint64_t)(uint32_t)distance << 32) | (uint32_t)index; }

static void swap_keys(uint64_t *a, uint64_t *b) {
    uint64_t t = *a;
    *a = *b;
    *b = t;
}

/* Moves the k smallest keys to the front (deterministic quickselect, median of three). */
static void select_smallest(uint64_t *keys, int64_t n, int64_t k) {
    int64_t lo = 0, hi = n - 1;
    while (hi > lo) {
        int64_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < keys[lo]) swap_keys(&keys[mid], &keys[lo]);
        if (keys[hi] < keys[lo]) swap_keys(&keys[hi], &keys[lo]);
        if (keys[hi] < keys[mid]) swap_keys(&keys[hi], &keys[mid]);
        uint64_t pivot = keys[mid];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (keys[i] < pivot) i++;
            while (keys[j] > pivot) j--;
            if (i <= j) {
                swap_keys(&keys[i], &keys[j]);
                i++;
                j--;
            }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
}

/* Ascending keys, in place: Shell's sort with Ciura's gaps (no calls, no allocation; the lists
   it sorts hold k keys). */
static void sort_keys(uint64_t *keys, int64_t n) {
    static const int64_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (int g = 0; g < 8; g++) {
        int64_t gap = gaps[g];
        for (int64_t i = gap; i < n; i++) {
            uint64_t v = keys[i];
            int64_t j = i;
            while (j >= gap && keys[j - gap] > v) {
                keys[j] = keys[j - gap];
                j -= gap;
            }
            keys[j] = v;
        }
    }
}

/* How many of `n` distances are at most `limit` (`below`: strictly below). The body is compiled
   for each kernel level; the counts are the same. */
__attribute__((always_inline)) static inline int64_t count_body(const int32_t *distance, int64_t n, int32_t limit, int below) {
    int64_t c = 0;
    if (below)
        for (int64_t t = 0; t < n; t++) c += distance[t] < limit;
    else
        for (int64_t t = 0; t < n; t++) c += distance[t] <= limit;
    return c;
}
static int64_t count_plain(const int32_t *d, int64_t n, int32_t limit, int below) { return count_body(d, n, limit, below); }
#if TANGLE_HAVE_X86
__attribute__((target("avx2"))) static int64_t count_avx2(const int32_t *d, int64_t n, int32_t limit, int below) {
    return count_body(d, n, limit, below);
}
__attribute__((target("avx512f,avx512bw"))) static int64_t count_avx512(const int32_t *d, int64_t n, int32_t limit, int below) {
    return count_body(d, n, limit, below);
}
#endif
static int64_t count_at_most(const int32_t *d, int64_t n, int32_t limit, int below) {
    return TANGLE_PICK(count)(d, n, limit, below);
}

/* Keeps the k smallest (distance, index) pairs, in their list order: the k-th smallest distance T
   by bisection over the distances' range (each step one vectorised count), then one branch-free
   pass that keeps every distance below T and, of those equal to T, the ones with the lowest
   indices. Returns T. */
static int32_t cut_to_k(int32_t *index, int32_t *distance, int64_t n, int64_t k, uint64_t *scratch) {
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (int64_t t = 0; t < n; t++) {
        lo = distance[t] < lo ? distance[t] : lo;
        hi = distance[t] > hi ? distance[t] : hi;
    }
    /* The smallest T with count(d <= T) >= k. */
    int64_t a = lo, b = hi;
    while (a < b) {
        int64_t mid = a + (b - a) / 2;
        if (count_at_most(distance, n, (int32_t)mid, 0) >= k) b = mid;
        else a = mid + 1;
    }
    const int32_t T = (int32_t)a;
    int64_t need = k - count_at_most(distance, n, T, 1);
    /* Of the distances equal to T, keep the `need` lowest indices: all of them when that is every one. */
    int64_t equal = 0;
    for (int64_t t = 0; t < n; t++) equal += distance[t] == T;
    int32_t last = INT32_MAX;
    if (equal > need) {
        int64_t e = 0;
        for (int64_t t = 0; t < n; t++)
            if (distance[t] == T) scratch[e++] = (uint32_t)index[t];
        select_smallest(scratch, e, need);
        last = 0;
        for (int64_t t = 0; t < need; t++) last = (int32_t)scratch[t] > last ? (int32_t)scratch[t] : last;
    }
    int64_t w = 0;
    for (int64_t t = 0; t < n; t++) {
        int32_t d = distance[t], j = index[t];
        distance[w] = d;
        index[w] = j;
        w += d < T || (d == T && j <= last);
    }
    return T;
}

int32_t tangle_topk_compact(int32_t *index, int32_t *distance, int64_t *count, int64_t k, int sorted, uint64_t *scratch) {
    int64_t n = *count;
    int32_t worst = INT32_MAX;
    if (n > k) {
        worst = cut_to_k(index, distance, n, k, scratch);
        n = k;
    } else if (n == k) {
        worst = INT32_MIN;
        for (int64_t t = 0; t < n; t++) worst = distance[t] > worst ? distance[t] : worst;
    }
    if (sorted) {
        for (int64_t t = 0; t < n; t++) scratch[t] = key_of(distance[t], index[t]);
        sort_keys(scratch, n);
        for (int64_t t = 0; t < n; t++) {
            index[t] = (int32_t)(uint32_t)scratch[t];
            distance[t] = (int32_t)(scratch[t] >> 32);
        }
    }
    *count = n;
    return worst;
}
