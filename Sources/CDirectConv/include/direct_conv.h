#ifndef TANGLE_DIRECT_CONV_H
#define TANGLE_DIRECT_CONV_H

#include <stdint.h>

/// A float32 convolution computed directly (no im2col, no GEMM; register tiles of up to 12 output
/// pixels by 32 filters, or 6 by 64): `out[oy][ox][f] = act(bias[f] + Σ_(ky,kx,c) in[oy*s+ky−pt][ox*s+kx−pl][c]
/// · w[(ky*k+kx)*ch+c][f])`, summed in `(ky, kx, c)` order with one fused multiply-add per term
/// (zero padding outside the image); `act` is ReLU when `relu` is non-zero. `padded` holds
/// `padded_h * padded_w * ch` floats. Every kernel gives the same floats.
void tangle_conv_direct(
    const float *image, int64_t h, int64_t w, int64_t ch, const float *weights, const float *bias, int64_t filters,
    int64_t kernel, int64_t stride, int64_t pad_top, int64_t pad_left, int64_t oh, int64_t ow, int relu, float *padded,
    int64_t padded_h, int64_t padded_w, float *out);

/// 2x2 max-pooling with stride 2 of one NHWC image (`h x w x ch` floats; a ragged last row or
/// column is dropped): each output is `max(max(a, b), max(c, d))` over its window in reading order,
/// where `max(x, y)` is `x >= y ? x : y`, exactly as the float32 layer computes it.
void tangle_maxpool2(const float *image, int64_t h, int64_t w, int64_t ch, float *out);

/// The kernel and bias gradients of that convolution for one image, added into `kernel_gradient`
/// (`[(ky*k+kx)*ch+c][f]`, `kernel*kernel*ch x filters`) and `bias_gradient` (`filters`):
/// `dw[r][f] += Σ_p x_p[r] · g[p][f]` over the output pixels `p` in reading order, one fused
/// multiply-add per term onto the value already there, and `db[f] += Σ_p g[p][f]` likewise by
/// additions; `x_p[r]` is the input under kernel position `r` of pixel `p` (zero outside the image)
/// and `g` the output gradient (`oh x ow x filters`). `padded` as for `tangle_conv_direct`.
/// Every kernel gives the same floats.
void tangle_conv_direct_kernel_gradient(
    const float *image, int64_t h, int64_t w, int64_t ch, const float *output_gradient, int64_t filters, int64_t kernel,
    int64_t stride, int64_t pad_top, int64_t pad_left, int64_t oh, int64_t ow, float *padded, int64_t padded_h, int64_t padded_w,
    float *kernel_gradient, float *bias_gradient);
/// Kernels are chosen by `tangle_kernel_level()` (CKernelLevel).

#endif
