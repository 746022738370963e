// The 3×3 kernels written once for any vector width; a per-ISA file (conv3x3_avx512.c,
// conv3x3_avx2.c) defines these and then includes this file:
//   KERNEL            target attribute, e.g. __attribute__((target("avx2,fma")))
//   vec, LANES        vector type and its floats
//   vzero() vload(p) vstore(p, v) vset1(f) vfma(a, b, c)   (vfma: a·b + c)
//   hsum(v)           horizontal sum, the same order every call (dW is bit-reproducible)
//   copy_row(dst, src, n) zero_row(dst, n)   short rows without a libc call
//   OBK, NX           forward register tile: OBK output channels (divides OB) × NX vectors
//   WO                dW: output channels per pass, WO × 9 accumulators
//   KERNELS           name of the exported struct repro_conv3x3_kernels
// No include guard: meant to be included once per ISA file.
#include "conv3x3.h"
#include "conv3x3_layout.h"

enum { TILE = LANES * NX };
_Static_assert(OB % OBK == 0, "a register tile takes whole slices of a packed block");
_Static_assert(NX >= 1 && NX <= 3, "forward() picks tiles of 1, 2 or NX vectors");
_Static_assert(TILE <= GRID_TILE && GRID_TILE % TILE == 0, "grid rows hold whole tiles");

KERNEL static void pad(const float *x, int planes, int h, int w, long ps, float *xp) {
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

// One output tile: OBK channels × LANES·nx pixels at grid index q0, over every input channel.
// Always inlined with a constant nx, so acc and xv live in registers (AVX-512: 24 + 3 of 32;
// AVX2: 8 + 2 of 16). wb points at the tile's first channel inside a packed block of OB.
KERNEL __attribute__((always_inline)) static inline void
forward_tile(const float *xp, int c, long ps, const long *shift, const float *wb, long q0,
             float *g, long qr, const int nx) {
    vec acc[OBK][NX];
    for (int j = 0; j < OBK; j++)
        for (int v = 0; v < nx; v++) acc[j][v] = vzero();
    for (int ci = 0; ci < c; ci++) {
        const float *xc = xp + ci * ps + q0;
        const float *wc = wb + (long)ci * 9 * OB;
        for (int t = 0; t < 9; t++) {
            vec xv[NX];
            for (int v = 0; v < nx; v++) xv[v] = vload(xc + shift[t] + LANES * v);
            for (int j = 0; j < OBK; j++) {
                vec wv = vset1(wc[t * OB + j]);
                for (int v = 0; v < nx; v++) acc[j][v] = vfma(wv, xv[v], acc[j][v]);
            }
        }
    }
    for (int j = 0; j < OBK; j++)
        for (int v = 0; v < nx; v++) vstore(g + j * qr + LANES * v, acc[j][v]);
}

KERNEL static void forward(const float *xp, int c, int h, int w, long ps,
                           const float *packed, int o, float *grid, float *y) {
    long wp = w + 2, q = (long)h * wp, qr = round_up(q, GRID_TILE);
    long shift[9];
    for (int t = 0; t < 9; t++) shift[t] = (t / 3) * wp + t % 3;
    // Tile outer, channels inner: the input tile stays in L1 across the channel slices. The
    // last tile is only as wide as what is left (7×7 images: 63 pixels, not 96).
    for (long q0 = 0; q0 < q; q0 += TILE) {
        long left = q - q0;
        for (int o0 = 0; o0 < o; o0 += OBK) {   // slices past o (o = 3: 4…7) need no work
            const float *wb = packed + (long)(o0 / OB) * c * 9 * OB + o0 % OB;
            float *g = grid + o0 * qr + q0;
            if (left > 2 * LANES) forward_tile(xp, c, ps, shift, wb, q0, g, qr, NX);
            else if (left > LANES) forward_tile(xp, c, ps, shift, wb, q0, g, qr, NX < 2 ? NX : 2);
            else forward_tile(xp, c, ps, shift, wb, q0, g, qr, 1);
        }
    }
    // Grid rows are w + 2 wide (two columns past the image): copy the w valid ones out.
    for (int oi = 0; oi < o; oi++)
        for (int oh = 0; oh < h; oh++)
            copy_row(y + ((long)oi * h + oh) * w, grid + oi * qr + oh * wp, w);
}

KERNEL static void weight_grad(const float *xp, const float *dyp, int images, int c, int o,
                               int h, int w, long ps, float *dw) {
    long wp = w + 2, q = (long)h * wp;
    long shift[9];
    for (int t = 0; t < 9; t++) shift[t] = (t / 3) * wp + t % 3;
    // dY's grid index q is its padded index q + wp + 1; the two columns past each row and
    // everything past h rows are padding zeros, so they add nothing.
    for (int oi = 0; oi < o; oi += WO) {
        int valid = o - oi < WO ? o - oi : WO;
        for (int ci = 0; ci < c; ci++) {
            vec a[WO][9];
            for (int j = 0; j < WO; j++)
                for (int t = 0; t < 9; t++) a[j][t] = vzero();
            for (int n = 0; n < images; n++) {
                const float *xc = xp + ((long)n * c + ci) * ps;
                const float *d[WO];
                for (int j = 0; j < WO; j++)   // past o: repeat the last channel, result dropped
                    d[j] = dyp + ((long)n * o + oi + (j < valid ? j : valid - 1)) * ps + wp + 1;
                for (long q0 = 0; q0 < q; q0 += LANES) {
                    vec y[WO];
                    for (int j = 0; j < WO; j++) y[j] = vload(d[j] + q0);
                    for (int t = 0; t < 9; t++) {
                        vec xv = vload(xc + q0 + shift[t]);
                        for (int j = 0; j < WO; j++) a[j][t] = vfma(y[j], xv, a[j][t]);
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

const struct repro_conv3x3_kernels KERNELS = {pad, forward, weight_grad};
