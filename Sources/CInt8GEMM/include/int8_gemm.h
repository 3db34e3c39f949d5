#ifndef TANGLE_INT8_GEMM_H
#define TANGLE_INT8_GEMM_H

#include <stdint.h>

/// The largest `k` (`tangle_qgemm`'s sum length) whose sums cannot overflow: 65,792.
///
/// Each product of an unsigned byte (0...255) and a signed byte (-128...127) lies in
/// [-32,640, 32,385], so a sum of `k` of them lies in [-32,640 k, 32,385 k], which fits in int32
/// when 32,640 k <= 2^31: k <= 65,792 (2^31 / 32,640 = 65,792.8; at k = 65,793 the all-255-times-(-128)
/// sum is -2,147,516,160). No kernel has a narrower intermediate: AVX-512 VNNI adds four products
/// into each 32-bit lane (`vpdpbusd`, which does not saturate); AVX2 widens the bytes to 16 bits and
/// multiplies pairs by `vpmaddwd` into 32 bits (a pair is at most 65,280 in magnitude; `vpmaddubsw`,
/// whose 16-bit pair sums saturate at 32,767 -- 2 x 255 x 127 = 64,770 would -- is not used); plain C
/// sums `int`s. The Swift callers check it where `k` is set: `QuantizedConvolution` (the patch; a
/// wider one runs in float32, `Arithmetic.runsInInt8`) and `Projection.quantized()` (the input
/// dimension; a wider one stays float32).
#define TANGLE_QGEMM_MAX_K 65792

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
/// (one fused multiply-add per value). `k` must be at most `TANGLE_QGEMM_MAX_K` (65,792): beyond it
/// the 32-bit sums can overflow.
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
