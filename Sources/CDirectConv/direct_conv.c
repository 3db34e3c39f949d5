#include "direct_conv.h"
#include "kernel_level.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TANGLE_HAVE_X86 1
#endif

static void pad_image(const float *image, int64_t h, int64_t w, int64_t ch, int64_t pad_top, int64_t pad_left, float *padded,
    int64_t padded_h, int64_t padded_w) {
    memset(padded, 0, (size_t)(padded_h * padded_w * ch) * sizeof(float));
    for (int64_t y = 0; y < h; y++)
        memcpy(padded + ((y + pad_top) * padded_w + pad_left) * ch, image + y * w * ch, (size_t)(w * ch) * sizeof(float));
}

/* Plain C, vectorisable over the filters (the same sums in the same order); compiled twice:
   generic and for AVX2 with FMA. */
__attribute__((always_inline)) static inline void conv_plain_body(const float *padded, int64_t padded_w, int64_t ch,
    const float *weights, const float *bias, int64_t filters, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, int relu,
    float *out) {
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
            float *o = out + (oy * ow + ox) * filters;
            for (int64_t f0 = 0; f0 < filters; f0 += 64) {
                int64_t nf = filters - f0 < 64 ? filters - f0 : 64;
                float acc[64];
                for (int64_t f = 0; f < nf; f++) acc[f] = bias[f0 + f];
                for (int64_t ky = 0; ky < kernel; ky++)
                    for (int64_t kx = 0; kx < kernel; kx++)
                        for (int64_t c = 0; c < ch; c++) {
                            float x = padded[((oy * stride + ky) * padded_w + ox * stride + kx) * ch + c];
                            const float *wr = weights + ((ky * kernel + kx) * ch + c) * filters + f0;
                            for (int64_t f = 0; f < nf; f++) acc[f] = fmaf(x, wr[f], acc[f]);
                        }
                for (int64_t f = 0; f < nf; f++) o[f0 + f] = relu && !(acc[f] > 0) ? 0 : acc[f];
            }
        }
}

static void conv_plain(const float *padded, int64_t padded_w, int64_t ch, const float *weights, const float *bias, int64_t filters,
    int64_t kernel, int64_t stride, int64_t oh, int64_t ow, int relu, float *out) {
    conv_plain_body(padded, padded_w, ch, weights, bias, filters, kernel, stride, oh, ow, relu, out);
}

#if TANGLE_HAVE_X86
__attribute__((target("avx2,fma"))) static void conv_avx2(const float *padded, int64_t padded_w, int64_t ch, const float *weights,
    const float *bias, int64_t filters, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, int relu, float *out) {
    conv_plain_body(padded, padded_w, ch, weights, bias, filters, kernel, stride, oh, ow, relu, out);
}
#endif

#if TANGLE_HAVE_X86
#define AVX512 __attribute__((target("avx512f,fma")))

/* NP (up to 12) neighbouring output pixels x up to 32 filters (a constant NP keeps the accumulators in registers). */
AVX512 __attribute__((always_inline)) static inline void pixels_avx512(const float *padded, int64_t padded_w, int64_t ch,
    const float *weights, int64_t filters, int64_t kernel, int64_t stride, int64_t oy, int64_t ox, int NP, __mmask16 m0, __mmask16 m1,
    __m512 b0, __m512 b1, int relu, float *out, int64_t ow, int64_t f0) {
    __m512 a0[12], a1[12];
    for (int p = 0; p < NP; p++) {
        a0[p] = b0;
        a1[p] = b1;
    }
    for (int64_t ky = 0; ky < kernel; ky++) {
        const float *row = padded + ((oy * stride + ky) * padded_w + ox * stride) * ch;
        const float *wk = weights + ky * kernel * ch * filters + f0;
        for (int64_t t = 0; t < kernel * ch; t++) {
            /* t runs over (kx, c): the input at kx*ch + c, the weights' row ky*kernel*ch + t. */
            __m512 w0 = _mm512_maskz_loadu_ps(m0, wk + t * filters), w1 = _mm512_maskz_loadu_ps(m1, wk + t * filters + 16);
            for (int p = 0; p < NP; p++) {
                __m512 x = _mm512_set1_ps(row[p * stride * ch + t]);
                a0[p] = _mm512_fmadd_ps(x, w0, a0[p]);
                a1[p] = _mm512_fmadd_ps(x, w1, a1[p]);
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int p = 0; p < NP; p++) {
        float *o = out + (oy * ow + ox + p) * filters + f0;
        _mm512_mask_storeu_ps(o, m0, relu ? _mm512_max_ps(a0[p], zero) : a0[p]);
        if (m1) _mm512_mask_storeu_ps(o + 16, m1, relu ? _mm512_max_ps(a1[p], zero) : a1[p]);
    }
}

/* NP neighbouring output pixels x 64 filters: 4*NP accumulators (24 at NP = 6), for layers with
   many filters, where the 32-filter tile re-reads every input twice. */
AVX512 __attribute__((always_inline)) static inline void pixels64_avx512(const float *padded, int64_t padded_w, int64_t ch,
    const float *weights, int64_t filters, int64_t kernel, int64_t stride, int64_t oy, int64_t ox, int NP, const __m512 *bias,
    int relu, float *out, int64_t ow, int64_t f0) {
    __m512 acc[6][4];
    for (int p = 0; p < NP; p++)
        for (int q = 0; q < 4; q++) acc[p][q] = bias[q];
    for (int64_t ky = 0; ky < kernel; ky++) {
        const float *row = padded + ((oy * stride + ky) * padded_w + ox * stride) * ch;
        const float *wk = weights + ky * kernel * ch * filters + f0;
        for (int64_t t = 0; t < kernel * ch; t++) {
            const float *wt = wk + t * filters;
            __m512 w0 = _mm512_loadu_ps(wt), w1 = _mm512_loadu_ps(wt + 16), w2 = _mm512_loadu_ps(wt + 32), w3 = _mm512_loadu_ps(wt + 48);
            for (int p = 0; p < NP; p++) {
                __m512 x = _mm512_set1_ps(row[p * stride * ch + t]);
                acc[p][0] = _mm512_fmadd_ps(x, w0, acc[p][0]);
                acc[p][1] = _mm512_fmadd_ps(x, w1, acc[p][1]);
                acc[p][2] = _mm512_fmadd_ps(x, w2, acc[p][2]);
                acc[p][3] = _mm512_fmadd_ps(x, w3, acc[p][3]);
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int p = 0; p < NP; p++) {
        float *o = out + (oy * ow + ox + p) * filters + f0;
        for (int q = 0; q < 4; q++) _mm512_storeu_ps(o + 16 * q, relu ? _mm512_max_ps(acc[p][q], zero) : acc[p][q]);
    }
}

AVX512 static void conv_avx512(const float *padded, int64_t padded_w, int64_t ch, const float *weights, const float *bias,
    int64_t filters, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, int relu, float *out) {
    int64_t f0 = 0;
    for (; f0 + 64 <= filters; f0 += 64) {
        __m512 b[4];
        for (int q = 0; q < 4; q++) b[q] = _mm512_loadu_ps(bias + f0 + 16 * q);
        for (int64_t oy = 0; oy < oh; oy++) {
            int64_t ox = 0;
            for (; ox + 6 <= ow; ox += 6) pixels64_avx512(padded, padded_w, ch, weights, filters, kernel, stride, oy, ox, 6, b, relu, out, ow, f0);
            switch (ow - ox) { /* the rest of the row in one tile (a constant NP each) */
            case 5: pixels64_avx512(padded, padded_w, ch, weights, filters, kernel, stride, oy, ox, 5, b, relu, out, ow, f0); break;
            case 4: pixels64_avx512(padded, padded_w, ch, weights, filters, kernel, stride, oy, ox, 4, b, relu, out, ow, f0); break;
            case 3: pixels64_avx512(padded, padded_w, ch, weights, filters, kernel, stride, oy, ox, 3, b, relu, out, ow, f0); break;
            case 2: pixels64_avx512(padded, padded_w, ch, weights, filters, kernel, stride, oy, ox, 2, b, relu, out, ow, f0); break;
            case 1: pixels64_avx512(padded, padded_w, ch, weights, filters, kernel, stride, oy, ox, 1, b, relu, out, ow, f0); break;
            default: break;
            }
        }
    }
    for (; f0 < filters; f0 += 32) {
        int64_t left0 = filters - f0, left1 = filters - f0 - 16;
        __mmask16 m0 = left0 >= 16 ? 0xFFFF : (__mmask16)((1u << left0) - 1);
        __mmask16 m1 = left1 <= 0 ? 0 : left1 >= 16 ? 0xFFFF : (__mmask16)((1u << left1) - 1);
        __m512 b0 = _mm512_maskz_loadu_ps(m0, bias + f0), b1 = _mm512_maskz_loadu_ps(m1, bias + f0 + 16);
        for (int64_t oy = 0; oy < oh; oy++) {
            int64_t ox = 0;
            for (; ox + 12 <= ow; ox += 12)
                pixels_avx512(padded, padded_w, ch, weights, filters, kernel, stride, oy, ox, 12, m0, m1, b0, b1, relu, out, ow, f0);
            /* The rest of the row in one tile: a lone pixel's two accumulator chains would wait on
               each multiply-add's latency. */
#define REST(NP) case NP: pixels_avx512(padded, padded_w, ch, weights, filters, kernel, stride, oy, ox, NP, m0, m1, b0, b1, relu, out, ow, f0); break;
            switch (ow - ox) { REST(11) REST(10) REST(9) REST(8) REST(7) REST(6) REST(5) REST(4) REST(3) REST(2) REST(1) default: break; }
#undef REST
        }
    }
}
#endif

static inline float max_ge(float x, float y) { return x >= y ? x : y; }

__attribute__((always_inline)) static inline void maxpool2_body(const float *image, int64_t h, int64_t w, int64_t ch, float *out) {
    int64_t oh = h / 2, ow = w / 2;
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
            const float *a = image + ((2 * oy) * w + 2 * ox) * ch, *b = a + ch, *c = a + w * ch, *d = c + ch;
            float *o = out + (oy * ow + ox) * ch;
            for (int64_t t = 0; t < ch; t++) o[t] = max_ge(max_ge(a[t], b[t]), max_ge(c[t], d[t]));
        }
}

static void maxpool2_plain(const float *image, int64_t h, int64_t w, int64_t ch, float *out) { maxpool2_body(image, h, w, ch, out); }

#if TANGLE_HAVE_X86
__attribute__((target("avx2"))) static void maxpool2_avx2(const float *image, int64_t h, int64_t w, int64_t ch, float *out) {
    maxpool2_body(image, h, w, ch, out);
}

AVX512 static inline __m512 max_ge_512(__m512 x, __m512 y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, y, _CMP_GE_OQ), y, x);
}

AVX512 static void maxpool2_avx512(const float *image, int64_t h, int64_t w, int64_t ch, float *out) {
    int64_t oh = h / 2, ow = w / 2;
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
            const float *a = image + ((2 * oy) * w + 2 * ox) * ch, *b = a + ch, *c = a + w * ch, *d = c + ch;
            float *o = out + (oy * ow + ox) * ch;
            for (int64_t t = 0; t < ch; t += 16) {
                __mmask16 m = ch - t >= 16 ? 0xFFFF : (__mmask16)((1u << (ch - t)) - 1);
                __m512 va = _mm512_maskz_loadu_ps(m, a + t), vb = _mm512_maskz_loadu_ps(m, b + t);
                __m512 vc = _mm512_maskz_loadu_ps(m, c + t), vd = _mm512_maskz_loadu_ps(m, d + t);
                _mm512_mask_storeu_ps(o + t, m, max_ge_512(max_ge_512(va, vb), max_ge_512(vc, vd)));
            }
        }
}
#endif

void tangle_maxpool2(const float *image, int64_t h, int64_t w, int64_t ch, float *out) {
    TANGLE_PICK(maxpool2)(image, h, w, ch, out);
}

void tangle_conv_direct(
    const float *image, int64_t h, int64_t w, int64_t ch, const float *weights, const float *bias, int64_t filters,
    int64_t kernel, int64_t stride, int64_t pad_top, int64_t pad_left, int64_t oh, int64_t ow, int relu, float *padded,
    int64_t padded_h, int64_t padded_w, float *out) {
    pad_image(image, h, w, ch, pad_top, pad_left, padded, padded_h, padded_w);
    TANGLE_PICK(conv)(padded, padded_w, ch, weights, bias, filters, kernel, stride, oh, ow, relu, out);
}

/* Kernel gradient. Each (r, f) is one chain: the value already there, then one fused multiply-add
   per output pixel in reading order; the bias gradient the same with additions. */
__attribute__((always_inline)) static inline void grad_plain_body(const float *padded, int64_t padded_w, int64_t ch, const float *g,
    int64_t filters, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, float *dw, float *db) {
    for (int64_t ky = 0; ky < kernel; ky++)
        for (int64_t kx = 0; kx < kernel; kx++)
            for (int64_t c = 0; c < ch; c++) {
                float *d = dw + ((ky * kernel + kx) * ch + c) * filters;
                for (int64_t f0 = 0; f0 < filters; f0 += 64) {
                    int64_t nf = filters - f0 < 64 ? filters - f0 : 64;
                    float acc[64];
                    for (int64_t f = 0; f < nf; f++) acc[f] = d[f0 + f];
                    for (int64_t oy = 0; oy < oh; oy++)
                        for (int64_t ox = 0; ox < ow; ox++) {
                            float x = padded[((oy * stride + ky) * padded_w + ox * stride + kx) * ch + c];
                            const float *gp = g + (oy * ow + ox) * filters + f0;
                            for (int64_t f = 0; f < nf; f++) acc[f] = fmaf(x, gp[f], acc[f]);
                        }
                    for (int64_t f = 0; f < nf; f++) d[f0 + f] = acc[f];
                }
            }
    for (int64_t p = 0; p < oh * ow; p++)
        for (int64_t f = 0; f < filters; f++) db[f] = db[f] + g[p * filters + f];
}

static void grad_plain(const float *padded, int64_t padded_w, int64_t ch, const float *g, int64_t filters, int64_t kernel,
    int64_t stride, int64_t oh, int64_t ow, float *dw, float *db) {
    grad_plain_body(padded, padded_w, ch, g, filters, kernel, stride, oh, ow, dw, db);
}

#if TANGLE_HAVE_X86
__attribute__((target("avx2,fma"))) static void grad_avx2(const float *padded, int64_t padded_w, int64_t ch, const float *g,
    int64_t filters, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, float *dw, float *db) {
    grad_plain_body(padded, padded_w, ch, g, filters, kernel, stride, oh, ow, dw, db);
}

/* R kernel rows x NQ*16 filters (masks m[q] for the last block): R*NQ accumulators. */
AVX512 __attribute__((always_inline)) static inline void grad_rows_avx512(const float *padded, int64_t padded_w, int64_t ch,
    const float *g, int64_t filters, int64_t kernel, int64_t stride, int64_t oh, int64_t ow, float *dw, int64_t r0, int R, int NQ,
    const __mmask16 *m, int64_t f0) {
    __m512 acc[12][4];
    int64_t off[12];
    for (int i = 0; i < R; i++) {
        int64_t r = r0 + i, ky = r / (kernel * ch), kx = (r / ch) % kernel, c = r % ch;
        off[i] = (ky * padded_w + kx) * ch + c;
        for (int q = 0; q < NQ; q++) acc[i][q] = _mm512_maskz_loadu_ps(m[q], dw + r * filters + f0 + 16 * q);
    }
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
            const float *base = padded + (oy * stride * padded_w + ox * stride) * ch;
            const float *gp = g + (oy * ow + ox) * filters + f0;
            __m512 gv[4];
            for (int q = 0; q < NQ; q++) gv[q] = _mm512_maskz_loadu_ps(m[q], gp + 16 * q);
            for (int i = 0; i < R; i++) {
                __m512 x = _mm512_set1_ps(base[off[i]]);
                for (int q = 0; q < NQ; q++) acc[i][q] = _mm512_fmadd_ps(x, gv[q], acc[i][q]);
            }
        }
    for (int i = 0; i < R; i++)
        for (int q = 0; q < NQ; q++) _mm512_mask_storeu_ps(dw + (r0 + i) * filters + f0 + 16 * q, m[q], acc[i][q]);
}

AVX512 static void grad_avx512(const float *padded, int64_t padded_w, int64_t ch, const float *g, int64_t filters, int64_t kernel,
    int64_t stride, int64_t oh, int64_t ow, float *dw, float *db) {
    const int64_t rows = kernel * kernel * ch;
    for (int64_t f0 = 0; f0 < filters; f0 += 64) {
        int64_t left = filters - f0;
        __mmask16 m[4];
        int NQ = 0;
        for (int q = 0; q < 4; q++) {
            int64_t l = left - 16 * q;
            m[q] = l <= 0 ? 0 : l >= 16 ? 0xFFFF : (__mmask16)((1u << l) - 1);
            if (l > 0) NQ = q + 1;
        }
        int64_t r0 = 0;
        /* 24 accumulators: 6 rows of 4 vectors, or 12 of 2 (a block of up to 32 filters). */
#define ROWS(R, Q) case R: grad_rows_avx512(padded, padded_w, ch, g, filters, kernel, stride, oh, ow, dw, r0, R, Q, m, f0); break;
        if (NQ > 2) {
            for (; r0 + 6 <= rows; r0 += 6) grad_rows_avx512(padded, padded_w, ch, g, filters, kernel, stride, oh, ow, dw, r0, 6, 4, m, f0);
            switch (rows - r0) { ROWS(5, 4) ROWS(4, 4) ROWS(3, 4) ROWS(2, 4) ROWS(1, 4) default: break; }
        } else {
            for (; r0 + 12 <= rows; r0 += 12) grad_rows_avx512(padded, padded_w, ch, g, filters, kernel, stride, oh, ow, dw, r0, 12, 2, m, f0);
            switch (rows - r0) { ROWS(11, 2) ROWS(10, 2) ROWS(9, 2) ROWS(8, 2) ROWS(7, 2) ROWS(6, 2) ROWS(5, 2) ROWS(4, 2) ROWS(3, 2) ROWS(2, 2) ROWS(1, 2) default: break; }
        }
#undef ROWS
    }
    for (int64_t f0 = 0; f0 < filters; f0 += 16) {
        int64_t l = filters - f0;
        __mmask16 mk = l >= 16 ? 0xFFFF : (__mmask16)((1u << l) - 1);
        __m512 acc = _mm512_maskz_loadu_ps(mk, db + f0);
        for (int64_t p = 0; p < oh * ow; p++) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mk, g + p * filters + f0));
        _mm512_mask_storeu_ps(db + f0, mk, acc);
    }
}
#endif

void tangle_conv_direct_kernel_gradient(
    const float *image, int64_t h, int64_t w, int64_t ch, const float *output_gradient, int64_t filters, int64_t kernel,
    int64_t stride, int64_t pad_top, int64_t pad_left, int64_t oh, int64_t ow, float *padded, int64_t padded_h, int64_t padded_w,
    float *kernel_gradient, float *bias_gradient) {
    pad_image(image, h, w, ch, pad_top, pad_left, padded, padded_h, padded_w);
    TANGLE_PICK(grad)(padded, padded_w, ch, output_gradient, filters, kernel, stride, oh, ow, kernel_gradient, bias_gradient);
}
