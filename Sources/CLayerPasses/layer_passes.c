#include "layer_passes.h"
#include "kernel_level.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TANGLE_HAVE_X86 1
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#endif

/* Every body below is written once, over restrict pointers, with copies, selects and element-wise
   adds only; it is compiled twice, plain and for AVX-512 (where the compiler vectorises it). No
   floating-point operation is reordered, so both give the same floats. */

#define ALWAYS static inline __attribute__((always_inline))

ALWAYS void copy_floats(float *restrict d, const float *restrict s, int64_t n) {
    for (int64_t j = 0; j < n; j++) d[j] = s[j];
}

ALWAYS void add_floats(float *restrict d, const float *restrict s, int64_t n) {
    for (int64_t j = 0; j < n; j++) d[j] += s[j];
}

ALWAYS void col2im_body(const float *restrict col, int64_t h, int64_t w, int64_t ch, int64_t pad_top, int64_t pad_left,
    float *restrict padded, int64_t padded_h, int64_t padded_w, int64_t kernel, int64_t stride, int64_t oh, int64_t ow,
    float *restrict image_gradient, int accumulate) {
    memset(padded, 0, (size_t)(padded_h * padded_w * ch) * sizeof(float));
    const int64_t span = kernel * ch;
    const float *restrict src = col;
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
            float *corner = padded + ((oy * stride) * padded_w + ox * stride) * ch;
            for (int64_t ky = 0; ky < kernel; ky++) {
                add_floats(corner + ky * padded_w * ch, src, span);
                src += span;
            }
        }
    for (int64_t y = 0; y < h; y++) {
        const float *p = padded + ((y + pad_top) * padded_w + pad_left) * ch;
        float *d = image_gradient + y * w * ch;
        if (accumulate) add_floats(d, p, w * ch);
        else copy_floats(d, p, w * ch);
    }
}

ALWAYS void maxpool2_backward_body(const float *restrict input, const float *restrict pooled,
    const float *restrict pooled_gradient, int64_t h, int64_t w, int64_t ch, float *restrict input_gradient, int accumulate) {
    const int64_t oh = h / 2, ow = w / 2;
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
            const int64_t base = (oy * ow + ox) * ch, a0 = ((2 * oy) * w + 2 * ox) * ch;
            const float *m = pooled + base, *g = pooled_gradient + base;
            const float *a = input + a0, *b = a + ch, *c = a + w * ch, *d = c + ch;
            float *da = input_gradient + a0, *db = da + ch, *dc = da + w * ch, *dd = dc + ch;
            if (accumulate) {
                for (int64_t t = 0; t < ch; t++) {
                    const float mv = m[t], gv = g[t];
                    const int fa = a[t] == mv, fb = !fa && b[t] == mv, fc = !fa && !fb && c[t] == mv, fd = !fa && !fb && !fc;
                    da[t] += fa ? gv : 0.0f;
                    db[t] += fb ? gv : 0.0f;
                    dc[t] += fc ? gv : 0.0f;
                    dd[t] += fd ? gv : 0.0f;
                }
            } else {
                for (int64_t t = 0; t < ch; t++) {
                    const float mv = m[t], gv = g[t];
                    const int fa = a[t] == mv, fb = !fa && b[t] == mv, fc = !fa && !fb && c[t] == mv, fd = !fa && !fb && !fc;
                    da[t] = fa ? gv : 0.0f;
                    db[t] = fb ? gv : 0.0f;
                    dc[t] = fc ? gv : 0.0f;
                    dd[t] = fd ? gv : 0.0f;
                }
            }
        }
}

ALWAYS void relu_body(float *restrict x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0.0f;
}

ALWAYS void relu_mask_body(float *restrict g, const float *restrict output, int64_t n) {
    for (int64_t i = 0; i < n; i++) g[i] = output[i] > 0 ? g[i] : 0.0f;
}

/* No a*b+c may become one fused multiply-add: the plain kernel has none to use. */
#pragma clang fp contract(off)
ALWAYS void adam_update_body(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, int64_t n, float lr,
    float b1, float b2, float eps, float c1, float c2) {
    const float a1 = 1.0f - b1, a2 = 1.0f - b2;
    for (int64_t i = 0; i < n; i++) {
        const float gi = g[i];
        const float mi = b1 * m[i] + a1 * gi;
        const float vi = b2 * v[i] + a2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * (mi / c1) / (__builtin_sqrtf(vi / c2) + eps);
    }
}

/* Each kernel family: a plain C function, an AVX-512 one with the same body, and the public entry. */
#if TANGLE_HAVE_X86
#define FAMILY(name, params, args)                                      \
    static void name##_plain params { name##_body args; }               \
    AVX512 static void name##_avx512 params { name##_body args; }       \
    __attribute__((target("avx2"))) static void name##_avx2 params { name##_body args; }
#else
#define FAMILY(name, params, args) static void name##_plain params { name##_body args; }
#endif

FAMILY(col2im,
    (const float *col, int64_t h, int64_t w, int64_t ch, int64_t pad_top, int64_t pad_left, float *padded, int64_t padded_h,
        int64_t padded_w, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, float *image_gradient, int accumulate),
    (col, h, w, ch, pad_top, pad_left, padded, padded_h, padded_w, kernel, stride, oh, ow, image_gradient, accumulate))
FAMILY(maxpool2_backward,
    (const float *input, const float *pooled, const float *pooled_gradient, int64_t h, int64_t w, int64_t ch,
        float *input_gradient, int accumulate),
    (input, pooled, pooled_gradient, h, w, ch, input_gradient, accumulate))
FAMILY(relu, (float *x, int64_t n), (x, n))
FAMILY(adam_update,
    (float *p, const float *g, float *m, float *v, int64_t n, float lr, float b1, float b2, float eps, float c1, float c2),
    (p, g, m, v, n, lr, b1, b2, eps, c1, c2))
FAMILY(relu_mask, (float *g, const float *output, int64_t n), (g, output, n))

void tangle_col2im(const float *col, int64_t h, int64_t w, int64_t ch, int64_t pad_top, int64_t pad_left, float *padded,
    int64_t padded_h, int64_t padded_w, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, float *image_gradient,
    int accumulate) {
    TANGLE_PICK(col2im)(col, h, w, ch, pad_top, pad_left, padded, padded_h, padded_w, kernel, stride, oh, ow, image_gradient, accumulate);
}

void tangle_maxpool2_backward(const float *input, const float *pooled, const float *pooled_gradient, int64_t h, int64_t w,
    int64_t ch, float *input_gradient, int accumulate) {
    TANGLE_PICK(maxpool2_backward)(input, pooled, pooled_gradient, h, w, ch, input_gradient, accumulate);
}

void tangle_relu(float *x, int64_t n) { TANGLE_PICK(relu)(x, n); }

void tangle_relu_mask(float *g, const float *output, int64_t n) { TANGLE_PICK(relu_mask)(g, output, n); }

void tangle_adam_update(float *p, const float *g, float *m, float *v, int64_t n, float lr, float b1, float b2, float eps,
    float c1, float c2) {
    TANGLE_PICK(adam_update)(p, g, m, v, n, lr, b1, b2, eps, c1, c2);
}
