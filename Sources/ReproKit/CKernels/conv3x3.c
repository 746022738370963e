// 3×3 stride-1 "same" convolutions without im2col: sizes, weight packing, and the run-time
// choice of kernels. The kernels are written once (conv3x3_kernels.h) and built per ISA:
// conv3x3_avx512.c and conv3x3_avx2.c.
//
// Why not im2col + sgemm: for the 16–64-channel layers of CIFAR-sized nets the GEMMs are
// small (M = 16…64), and OpenBLAS spends a third of its time packing the 9×-inflated column
// matrix that im2col has just written. The kernels instead keep an output tile of a few
// channels × a few vectors of pixels in registers and read each tap of the padded input as
// unaligned loads.
// Kernel functions carry target attributes, so the library builds for baseline x86-64 (and
// for other architectures, where repro_conv3x3_kernels() always says NULL); a CPU runs an
// ISA's code only after repro_conv3x3_kernels() found the ISA on it.
#include "conv3x3.h"
#include "conv3x3_layout.h"

#include <stddef.h>

#if defined(__x86_64__)
extern const struct repro_conv3x3_kernels repro_conv3x3_avx512_kernels;
extern const struct repro_conv3x3_kernels repro_conv3x3_avx2_kernels;

// __builtin_cpu_supports reports AVX features only when the OS saves their registers.
static int cpu_has(int isa) {
    __builtin_cpu_init();
    switch (isa) {
    case REPRO_CONV3X3_AVX512: return __builtin_cpu_supports("avx512f");
    case REPRO_CONV3X3_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default: return 0;
    }
}

const struct repro_conv3x3_kernels *repro_conv3x3_kernels(int isa) {
    if (!cpu_has(isa)) return NULL;
    return isa == REPRO_CONV3X3_AVX512 ? &repro_conv3x3_avx512_kernels : &repro_conv3x3_avx2_kernels;
}
#else
const struct repro_conv3x3_kernels *repro_conv3x3_kernels(int isa) {
    (void)isa;
    return NULL;
}
#endif

long repro_conv3x3_plane_stride(int h, int w) {
    // Forward loads reach q0 + 2·(w + 2) + 2 + TILE − 1 for tiles starting below h·(w + 2),
    // TILE ≤ GRID_TILE; dW's reach (w + 2) + 1 + h·(w + 2) + 15. Both stay inside
    // (h + 2)·(w + 2) + 2·GRID_TILE + 2.
    long wp = w + 2;
    return round_up((long)(h + 2) * wp + 2 * GRID_TILE + 2, 16);
}

long repro_conv3x3_packed_count(int o, int c) { return round_up(o, OB) * (long)c * 9; }

long repro_conv3x3_grid_count(int o, int h, int w) {
    return round_up(o, OB) * round_up((long)h * (w + 2), GRID_TILE);
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
