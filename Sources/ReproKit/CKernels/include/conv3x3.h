// 3×3, stride-1, padding-1 convolution kernels that read zero-padded planes directly
// (no im2col, no GEMM packing), for AVX-512 and for AVX2 + FMA. Callers ask
// repro_conv3x3_kernels() for an ISA's kernels and fall back to im2col + sgemm when no ISA
// is there. All functions are single-threaded; callers split images across threads.
//
// Padded plane: a [h, w] plane stored as [h + 2, w + 2] with a zero border, followed by
// zero slack, every plane `repro_conv3x3_plane_stride(h, w)` floats apart. Output pixel
// (oh, ow) lives at grid index q = oh·(w + 2) + ow, and its tap (ki, kj) reads the padded
// plane at q + ki·(w + 2) + kj, so every tap is one contiguous vector load.
#ifndef REPRO_CONV3X3_H
#define REPRO_CONV3X3_H

// Pointers are never null unless marked (Swift then imports them as non-optional).
#pragma clang assume_nonnull begin

/// Instruction sets with kernels.
enum { REPRO_CONV3X3_AVX512 = 0, REPRO_CONV3X3_AVX2 = 1 };

/// One instruction set's kernels. Sizes, packing and layouts are the same for every ISA.
struct repro_conv3x3_kernels {
    /// `planes` planes [h][w] at x → padded planes at xp (stride ps).
    void (*pad)(const float *x, int planes, int h, int w, long ps, float *xp);
    /// One image: y [o][h][w] = conv3x3(padded x [c planes], packed weight). `grid` is
    /// scratch of repro_conv3x3_grid_count(o, h, w) floats.
    void (*forward)(const float *xp, int c, int h, int w, long ps,
                             const float *packed, int o, float *grid, float *y);
    /// dw [o][c][3][3] += Σ over `images` of Σ_pixels dY[o](oh, ow) · x[c](oh + ki − 1, ow + kj − 1),
    /// from padded x (images × c planes) and padded dY (images × o planes), both of stride ps.
    /// Sums in an order fixed by the arguments alone.
    void (*weight_grad)(const float *xp, const float *dyp, int images, int c, int o,
                                 int h, int w, long ps, float *dw);
};

/// The kernels of `isa` (REPRO_CONV3X3_…) when this CPU runs that ISA, else NULL.
const struct repro_conv3x3_kernels *_Nullable repro_conv3x3_kernels(int isa);

/// Floats between consecutive padded planes of an h×w image (room for every vector load).
long repro_conv3x3_plane_stride(int h, int w);

/// Floats of the packed weight of `o` output and `c` input channels.
long repro_conv3x3_packed_count(int o, int c);

/// Floats of the scratch grid that a forward kernel needs for `o` outputs of h×w.
long repro_conv3x3_grid_count(int o, int h, int w);

/// w [o][c][3][3] → packed [⌈o/8⌉][c][9][8] (output channel fastest, zero beyond o).
void repro_conv3x3_pack_weight(const float *w, int o, int c, float *packed);

#pragma clang assume_nonnull end

#endif
