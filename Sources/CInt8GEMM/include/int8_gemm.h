#ifndef TANGLE_INT8_GEMM_H
#define TANGLE_INT8_GEMM_H

#include <stdint.h>

/// Bytes of a `k x n` signed 8-bit matrix packed by `tangle_qgemm_pack` (`k` a multiple of 4,
/// `n` rounded up to 16).
int64_t tangle_qgemm_packed_bytes(int64_t k, int64_t n);

/// Packs a row-major `k x n` signed 8-bit matrix (`k` a multiple of 4) for `tangle_qgemm`: blocks
/// of 16 columns; within a block, groups of 4 rows; within a group, each column's 4 bytes.
/// Columns past `n` are zero.
void tangle_qgemm_pack(const int8_t *b, int64_t k, int64_t n, int8_t *packed);

/// `c[i][j] = act(float(Σ_t a[i][t] * b[t][j]) * (row_scale[i] * col_scale[j]) + bias[j])` for
/// `i < m`, `j < n`: unsigned 8-bit rows `a` (`lda` apart, `k` a multiple of 4) times the packed
/// signed 8-bit matrix, summed exactly in 32-bit integers, then scaled; `act` is ReLU when `relu`
/// is non-zero, else the identity. Every kernel computes the same integers and the same floats
/// (one fused multiply-add per value). The sums cannot overflow for `k < 66,000`.
void tangle_qgemm(
    const uint8_t *a, int64_t lda, int64_t m, int64_t k, const int8_t *packed, int64_t n, const float *row_scale,
    const float *col_scale, const float *bias, int relu, float *c, int64_t ldc);

/// Quantizes one non-negative image (`h x w x ch` floats, NHWC) to unsigned 8 bits on its own
/// scale (`max / 255`; values below 0 or NaN become 0) and writes the im2col rows of a `kernel x
/// kernel` convolution with the given stride and zero padding: `oh * ow` rows of `kernel *
/// kernel * ch` bytes in `(ky, kx, c)` order, `lda` apart. `padded` holds `(h + pad_top +
/// pad_bottom) * (w + pad_left + pad_right) * ch` bytes, with `pad_bottom`/`pad_right` whatever
/// the output size needs (a 1x1 kernel with stride 1 and no padding writes the rows directly and
/// leaves `padded` alone). Returns the scale (0 for an all-zero image).
float tangle_quantize_im2col(
    const float *image, int64_t h, int64_t w, int64_t ch, int64_t kernel, int64_t stride, int64_t pad_top, int64_t pad_left,
    int64_t oh, int64_t ow, uint8_t *padded, int64_t padded_h, int64_t padded_w, uint8_t *rows, int64_t lda);

/// Kernels are chosen by `tangle_kernel_level()` (CKernelLevel).

#endif
