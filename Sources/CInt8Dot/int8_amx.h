#ifndef TANGLE_INT8_AMX_H
#define TANGLE_INT8_AMX_H
#include <stdint.h>

/* tangle_i8_candidates on AMX-INT8 tiles, any number of queries (best from 17 up); only called when
   tangle_amx_available() says the tiles may be used. Not public: int8_dot.c dispatches to it. */
void tangle_i8_candidates_amx(
    const uint8_t *packed, int64_t dim4, int64_t first_block, int64_t block_count, int64_t valid, const int8_t *queries,
    int64_t query_count, const int32_t *norms, const int32_t *biases, const int32_t *limits, int32_t *out_index, int32_t *out_distance,
    int64_t ldc, int64_t *out_count);

#endif
