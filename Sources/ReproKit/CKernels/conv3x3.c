// AVX-512 kernels for 3×3 stride-1 "same" convolutions; see include/conv3x3.h for layouts.
//
// Why not im2col + sgemm: for the 16–64-channel layers of CIFAR-sized nets the GEMMs are
// small (M = 16…64), and OpenBLAS spends a third of its time packing the 9×-inflated column
// matrix that im2col has just written. Here each output tile of 8 channels × 48 pixels keeps
// 24 accumulators in registers and reads each tap of the padded input as three unaligned
// loads; on this project's 2-core VMs that ran at 80–85% of one core's measured FMA peak
// (~175 GFLOP/s) with the data in L2.
// Functions carry target attributes, so the file builds for baseline x86-64 and the
// AVX-512 code runs only after repro_conv3x3_available() said yes.
#include "conv3x3.h"


#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,fma")))
#define HAVE_KERNELS 1
#else
#define HAVE_KERNELS 0
#endif

enum { OB = 8, NX = 3, TILE = 16 * NX };   // output tile: 8 channels × 48 pixels

static long round_up(long a, long b) { return (a + b - 1) / b * b; }

int repro_conv3x3_available(void) {
#if HAVE_KERNELS
    static int cached = -1;   // benign race: every thread computes the same answer
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return cached;
#else
    return 0;
#endif
}

long repro_conv3x3_plane_stride(int h, int w) {
    // Forward loads reach q0 + 2·(w + 2) + 2 + TILE − 1 for tiles starting below h·(w + 2);
    // dW's reach (w + 2) + 1 + h·(w + 2) + 15. Both stay inside (h + 2)·(w + 2) + 2·TILE + 2.
    long wp = w + 2;
    return round_up((long)(h + 2) * wp + 2 * TILE + 2, 16);
}

long repro_conv3x3_packed_count(int o, int c) { return round_up(o, OB) * (long)c * 9; }

long repro_conv3x3_grid_count(int o, int h, int w) {
    return round_up(o, OB) * round_up((long)h * (w + 2), TILE);
}

void repro_conv3x3_pack_weight(const float *w, int o, int c, float *packed) {
    int blocks = (o + OB - 1) / OB;
    for (int b = 0; b < blocks; b++)
        for (int ci = 0; ci < c; ci++)
            for (int t = 0; t < 9; t++)
                for (int j = 0; j < OB; j++) {
                    int oi = b * OB + j;
                    packed[(((long)b * c + ci) * 9 + t) * OB + j] =
                        oi < o ? w[((long)oi * c + ci) * 9 + t] : 0.0f;
                }
}

#if HAVE_KERNELS
// dst[0..<n] = src[0..<n] for short rows: a libc memcpy call per 28–128-byte row cost more
// than the copy (10% of a ResNet step).
AVX512 static inline void copy_row(float *dst, const float *src, int n) {
    int i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i));
    }
}

// dst[0..<n] = 0, for the same reason.
AVX512 static inline void zero_row(float *dst, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_setzero_ps());
    if (i < n) _mm512_mask_storeu_ps(dst + i, (__mmask16)((1u << (n - i)) - 1), _mm512_setzero_ps());
}

AVX512 void repro_conv3x3_pad(const float *x, int planes, int h, int w, long ps, float *xp) {
    long wp = w + 2;
    for (int p = 0; p < planes; p++) {
        const float *s = x + (long)p * h * w;
        float *d = xp + (long)p * ps;
        zero_row(d, wp + 1);
        for (int ih = 0; ih < h; ih++) {
            float *row = d + (ih + 1) * wp + 1;
            copy_row(row, s + (long)ih * w, w);
            row[w] = 0.0f;
            row[w + 1] = 0.0f;
        }
        long tail = (long)(h + 1) * wp + 1;
        zero_row(d + tail, ps - tail);
    }
}


// One output tile: 8 channels × 16·nx pixels at grid index q0, over every input channel.
// Always inlined with a constant nx, so acc and xv live in registers (24 + 3 of 32 at nx = 3).
AVX512 __attribute__((always_inline)) static inline void
forward_tile(const float *xp, int c, long ps, const long *shift, const float *wb, long q0,
             float *g, long qr, const int nx) {
    __m512 acc[OB][NX];
    for (int j = 0; j < OB; j++)
        for (int v = 0; v < nx; v++) acc[j][v] = _mm512_setzero_ps();
    for (int ci = 0; ci < c; ci++) {
        const float *xc = xp + ci * ps + q0;
        const float *wc = wb + (long)ci * 9 * OB;
        for (int t = 0; t < 9; t++) {
            __m512 xv[NX];
            for (int v = 0; v < nx; v++) xv[v] = _mm512_loadu_ps(xc + shift[t] + 16 * v);
            for (int j = 0; j < OB; j++) {
                __m512 wv = _mm512_set1_ps(wc[t * OB + j]);
                for (int v = 0; v < nx; v++) acc[j][v] = _mm512_fmadd_ps(wv, xv[v], acc[j][v]);
            }
        }
    }
    for (int j = 0; j < OB; j++)
        for (int v = 0; v < nx; v++) _mm512_storeu_ps(g + j * qr + 16 * v, acc[j][v]);
}

AVX512 void repro_conv3x3_forward(const float *xp, int c, int h, int w, long ps,
                                  const float *packed, int o, float *grid, float *y) {
    long wp = w + 2, q = (long)h * wp, qr = round_up(q, TILE);
    int blocks = (o + OB - 1) / OB;
    long shift[9];
    for (int t = 0; t < 9; t++) shift[t] = (t / 3) * wp + t % 3;
    // Tile outer, channel block inner: the input tile stays in L1 across the blocks. The
    // last tile is only as wide as what is left (7×7 images: 63 pixels, not 96).
    for (long q0 = 0; q0 < q; q0 += TILE) {
        long left = q - q0;
        for (int b = 0; b < blocks; b++) {
            const float *wb = packed + (long)b * c * 9 * OB;
            float *g = grid + (long)b * OB * qr + q0;
            if (left > 32) forward_tile(xp, c, ps, shift, wb, q0, g, qr, 3);
            else if (left > 16) forward_tile(xp, c, ps, shift, wb, q0, g, qr, 2);
            else forward_tile(xp, c, ps, shift, wb, q0, g, qr, 1);
        }
    }
    // Grid rows are w + 2 wide (two columns past the image): copy the w valid ones out.
    for (int oi = 0; oi < o; oi++)
        for (int oh = 0; oh < h; oh++)
            copy_row(y + ((long)oi * h + oh) * w, grid + oi * qr + oh * wp, w);
}

AVX512 static inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

AVX512 void repro_conv3x3_weight_grad(const float *xp, const float *dyp, int images, int c, int o,
                                      int h, int w, long ps, float *dw) {
    enum { WO = 3 };   // output channels per pass: 3 × 9 taps = 27 accumulators of 32 registers
    long wp = w + 2, q = (long)h * wp;
    long shift[9];
    for (int t = 0; t < 9; t++) shift[t] = (t / 3) * wp + t % 3;
    // dY's grid index q is its padded index q + wp + 1; the two columns past each row and
    // everything past h rows are padding zeros, so they add nothing.
    for (int oi = 0; oi < o; oi += WO) {
        int valid = o - oi < WO ? o - oi : WO;
        for (int ci = 0; ci < c; ci++) {
            __m512 a[WO][9];
            for (int j = 0; j < WO; j++)
                for (int t = 0; t < 9; t++) a[j][t] = _mm512_setzero_ps();
            for (int n = 0; n < images; n++) {
                const float *xc = xp + ((long)n * c + ci) * ps;
                const float *d[WO];
                for (int j = 0; j < WO; j++)   // past o: repeat the last channel, result dropped
                    d[j] = dyp + ((long)n * o + oi + (j < valid ? j : valid - 1)) * ps + wp + 1;
                for (long q0 = 0; q0 < q; q0 += 16) {
                    __m512 y[WO];
                    for (int j = 0; j < WO; j++) y[j] = _mm512_loadu_ps(d[j] + q0);
                    for (int t = 0; t < 9; t++) {
                        __m512 xv = _mm512_loadu_ps(xc + q0 + shift[t]);
                        for (int j = 0; j < WO; j++) a[j][t] = _mm512_fmadd_ps(y[j], xv, a[j][t]);
                    }
                }
            }
            for (int j = 0; j < valid; j++) {
                float *r = dw + ((long)(oi + j) * c + ci) * 9;
                for (int t = 0; t < 9; t++) r[t] += hsum(a[j][t]);
            }
        }
    }
}

#else

// No AVX-512 code on this architecture: repro_conv3x3_available() says 0, so these are never
// called (Conv3x3Direct keeps im2col + sgemm).
void repro_conv3x3_pad(const float *x, int planes, int h, int w, long ps, float *xp) {
    (void)x; (void)planes; (void)h; (void)w; (void)ps; (void)xp;
    __builtin_trap();
}

void repro_conv3x3_forward(const float *xp, int c, int h, int w, long ps,
                           const float *packed, int o, float *grid, float *y) {
    (void)xp; (void)c; (void)h; (void)w; (void)ps; (void)packed; (void)o; (void)grid; (void)y;
    __builtin_trap();
}

void repro_conv3x3_weight_grad(const float *xp, const float *dyp, int images, int c, int o,
                               int h, int w, long ps, float *dw) {
    (void)xp; (void)dyp; (void)images; (void)c; (void)o; (void)h; (void)w; (void)ps; (void)dw;
    __builtin_trap();
}

#endif
