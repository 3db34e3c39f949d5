/* Shared by the 8-bit kernel families (not part of CKernelLevel's public headers): the exact AVX2
   dot products of one or two 4-byte rows with a block of 16 lanes x 4 bytes. */
#ifndef TANGLE_AVX2_DOTS_H
#define TANGLE_AVX2_DOTS_H

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* For each of `groups` groups: 64 bytes of the block (16 lanes, each lane's 4 bytes) and 4 bytes of
   `x0` (and of `x1`, unless NULL). `out0[l] = Σ block[l] · x0` over every group, for the 16 lanes.
   One side is unsigned 8-bit and the other signed (`block_unsigned` says which side the block is).
   Bytes are widened to 16 bits and multiplied by vpmaddwd, which does not saturate (unlike
   vpmaddubsw), so the sums are exact. Each accumulator holds 4 lanes' two partial sums. */
__attribute__((target("avx2"), always_inline)) static inline void tangle_avx2_dots16(
    const void *block, int block_unsigned, int64_t groups, const void *x0, const void *x1, int32_t *out0, int32_t *out1) {
    const uint8_t *bytes = (const uint8_t *)block;
    __m256i s0[4], s1[4];
    for (int h = 0; h < 4; h++) s0[h] = s1[h] = _mm256_setzero_si256();
    for (int64_t g = 0; g < groups; g++) {
        __m256i w[4];
        for (int h = 0; h < 4; h++) {
            __m128i raw = _mm_loadu_si128((const __m128i *)(bytes + g * 64 + h * 16));
            w[h] = block_unsigned ? _mm256_cvtepu8_epi16(raw) : _mm256_cvtepi8_epi16(raw);
        }
        int32_t word;
        memcpy(&word, (const uint8_t *)x0 + g * 4, 4);
        __m128i v = _mm_cvtsi32_si128(word);
        __m256i b0 = _mm256_broadcastq_epi64(block_unsigned ? _mm_cvtepi8_epi16(v) : _mm_cvtepu8_epi16(v));
        for (int h = 0; h < 4; h++) s0[h] = _mm256_add_epi32(s0[h], _mm256_madd_epi16(w[h], b0));
        if (x1) {
            memcpy(&word, (const uint8_t *)x1 + g * 4, 4);
            v = _mm_cvtsi32_si128(word);
            __m256i b1 = _mm256_broadcastq_epi64(block_unsigned ? _mm_cvtepi8_epi16(v) : _mm_cvtepu8_epi16(v));
            for (int h = 0; h < 4; h++) s1[h] = _mm256_add_epi32(s1[h], _mm256_madd_epi16(w[h], b1));
        }
    }
    /* hadd gives [l0 l1 l4 l5 | l2 l3 l6 l7]; the 64-bit permute puts the lanes in order. */
    for (int h = 0; h < 2; h++) {
        _mm256_storeu_si256((__m256i *)(out0 + h * 8), _mm256_permute4x64_epi64(_mm256_hadd_epi32(s0[2 * h], s0[2 * h + 1]), 0xD8));
        if (x1)
            _mm256_storeu_si256((__m256i *)(out1 + h * 8), _mm256_permute4x64_epi64(_mm256_hadd_epi32(s1[2 * h], s1[2 * h + 1]), 0xD8));
    }
}
#endif

#endif
