#ifndef TANGLE_INT8_DOT_H
#define TANGLE_INT8_DOT_H

#include <stdint.h>

/// Points per packed block.
#define TANGLE_I8_BLOCK 16

/// The largest dimension (`dim4 * 4`, padding included) whose distances cannot overflow: 32,896.
///
/// The arithmetic is 32-bit. A stored value `u = p + 128` is 0...255 and a query byte `q` is
/// -128...127, so each product lies in [-32,640, 32,385] and the dot product of `dim` of them in
/// [-32,640 dim, 32,385 dim] (that alone would allow dim <= 65,792). The distance is then formed as
/// `bias + norm - 2 * dot` with `bias = |q|^2 + 256 sum(q)` (at most 48,641 per coordinate),
/// `norm = |p|^2` (at most 16,384): the widest intermediate is `2 * dot`, up to 65,280 dim in
/// magnitude, which fits when dim <= 2^31 / 65,280 = 32,896.5; `bias + norm` and the distance
/// itself, `|p - q|^2` (at most 65,025 dim), fit up to 33,025. Hence 32,896. `QuantizedNeighbors`
/// checks it when it is made (a precondition), the index build stores a wider layer in float32, and
/// an index file with a wider 8-bit layer is refused.
#define TANGLE_I8_MAX_DIM 32896

/// Packs `count` points of `dim` signed 8-bit coordinates (row-major) into the blocked layout the
/// dot kernels read: blocks of 16 points; within a block, groups of 4 coordinates; within a group,
/// the 16 points' 4 bytes each, stored as unsigned (value + 128). Coordinates past `dim` and points
/// past `count` are padded with 0 (stored as 128). `packed` holds
/// `tangle_i8_packed_bytes(count, dim)` bytes.
void tangle_i8_pack(const int8_t *points, int64_t count, int64_t dim, uint8_t *packed);

/// Bytes of the packed layout for `count` points of `dim` coordinates.
int64_t tangle_i8_packed_bytes(int64_t count, int64_t dim);

/// The dot products and the top-k candidate test in one pass, for `block_count` blocks from
/// `first_block`: for query `i` and point `j` (a global point index), `d_ij = biases[i] + norms[j] -
/// 2 * dot_ij`, where `dot_ij` sums the stored unsigned values (value + 128) times the query's signed
/// bytes (`dim4 * 4` apart, zero-padded); points at or past `valid` are skipped. `dim4 * 4` must be
/// at most `TANGLE_I8_MAX_DIM` (32,896), or the 32-bit sums can overflow. Integer arithmetic:
/// every kernel gives the same numbers. Every `j` with `d_ij < limits[i]` is appended to
/// query `i`'s lists at `out_index + i * ldc + out_count[i]` (and `out_distance`), and `out_count[i]`
/// grows by how many; the caller sets the counts and leaves room for the new entries plus 16 (a
/// kernel may write up to 16 values past the last entry it keeps). Order within a list is unspecified.
void tangle_i8_candidates(
    const uint8_t *packed, int64_t dim4, int64_t first_block, int64_t block_count, int64_t valid,
    const int8_t *queries, int64_t query_count, const int32_t *norms, const int32_t *biases, const int32_t *limits,
    int32_t *out_index, int32_t *out_distance, int64_t ldc, int64_t *out_count);

/// How many queries one `tangle_i8_candidates` call should take at a time for the best speed: 32 on
/// AMX tiles, 8 on AVX-512 registers (any count gives the same candidates).
int64_t tangle_i8_query_tile(void);

/// Keeps the `k` smallest of `*count` candidates by (distance, index) at the front of `index` and
/// `distance` (ascending when `sorted`), sets `*count` to how many remain, and returns the largest
/// kept distance — the bound a later point (with a larger index) must beat — or INT32_MAX while
/// fewer than `k` are kept. `scratch` holds `*count` values.
int32_t tangle_topk_compact(int32_t *index, int32_t *distance, int64_t *count, int64_t k, int sorted, uint64_t *scratch);

/// Kernels are chosen by `tangle_kernel_level()` (CKernelLevel): AMX-INT8 tiles (more than 8 queries,
/// when `tangle_amx_available()`), AVX-512 VNNI, AVX2 or plain C, the same integers on each.

#endif
