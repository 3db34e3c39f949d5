#ifndef TANGLE_NARROW_NEAREST_H
#define TANGLE_NARROW_NEAREST_H

#include <stdint.h>

/// Floats of the packed layout for `count` points of `dim` features: blocks of 16 points, and
/// within a block one run of 16 values per feature (points past `count` are 0).
int64_t tangle_narrow_packed_count(int64_t count, int64_t dim);

/// Packs `count` row-major points of `dim` float features for `tangle_narrow_candidates`.
void tangle_narrow_pack(const float *points, int64_t count, int64_t dim, float *packed);

/// For query `i < query_count` (`dim` floats each, `dim` apart) and every point `j` of the
/// `block_count` blocks from `first_block` with `j < valid`: `d_ij = Σ_t (q_it − p_jt)²` in float32,
/// summed in feature order. Every `j` with `d_ij` below the query's limit is appended to its lists
/// at `out_index + i * ldc + out_count[i]` and `out_distance` (the float's bits: for distances,
/// which are never negative, integer order is float order), and `out_count[i]` grows. `limits` are
/// float bits too; `INT32_MAX` means no limit (every point is appended, so the first k always fill;
/// a NaN distance counts as +inf). The caller leaves room for the new entries plus 16.
/// Every kernel gives the same floats.
void tangle_narrow_candidates(
    const float *packed, int64_t dim, int64_t first_block, int64_t block_count, int64_t valid, const float *queries,
    int64_t query_count, const int32_t *limits, int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count);

/// Kernels are chosen by `tangle_kernel_level()` (CKernelLevel).

#endif
