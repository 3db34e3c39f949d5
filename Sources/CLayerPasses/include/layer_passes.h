#ifndef TANGLE_LAYER_PASSES_H
#define TANGLE_LAYER_PASSES_H
#include <stdint.h>

/* The memory-bound passes of training: col2im (a strided convolution's input gradient),
   max-pooling's backward pass, ReLU, and the optimiser's update. Each has a plain C kernel and an
   AVX-512 one (chosen by `tangle_kernel_level()`, CKernelLevel); they only copy, select and add
   element by element in one fixed order, so every kernel gives the same floats, bit for bit. */

/// col2im, the transpose of im2col: adds every row of `col` (`oh * ow` rows, one per output pixel
/// in reading order, of `kernel*kernel*ch` floats in `(ky, kx, c)` order) back onto its patch of a
/// zeroed `padded` buffer (`padded_h x padded_w x ch`, the image at row `pad_top`, column
/// `pad_left`), in row order, then writes the image part of `padded` into `image_gradient`
/// (`h x w x ch`), adding to what is there when `accumulate` is non-zero.
void tangle_col2im(const float *col, int64_t h, int64_t w, int64_t ch, int64_t pad_top, int64_t pad_left, float *padded,
    int64_t padded_h, int64_t padded_w, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, float *image_gradient,
    int accumulate);

/// The backward pass of 2x2 max-pooling with stride 2 over one NHWC image whose height and width
/// are even: each output gradient goes to the first input of its window, in the order (0,0),
/// (0,1), (1,0), (1,1), that equals the pooled value (the last when none does, e.g. NaN), and the
/// other three get 0. Written into `input_gradient`, or added to it when `accumulate` is non-zero.
void tangle_maxpool2_backward(const float *input, const float *pooled, const float *pooled_gradient, int64_t h, int64_t w,
    int64_t ch, float *input_gradient, int accumulate);

/// `x = x > 0 ? x : 0` over `n` floats, in place.
void tangle_relu(float *x, int64_t n);

/// `g = output > 0 ? g : 0` over `n` floats, in place (ReLU's backward pass).
void tangle_relu_mask(float *g, const float *output, int64_t n);

/// One Adam step over `n` parameters, element by element and in this order, with no fused
/// multiply-add: `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g*g`,
/// `p = p - lr*(m/c1) / (sqrt(v/c2) + eps)` (`c1`, `c2`: the bias corrections `1 - b^t`).
void tangle_adam_update(float *p, const float *g, float *m, float *v, int64_t n, float lr, float b1, float b2, float eps,
    float c1, float c2);

#endif
