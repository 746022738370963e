// The run-time choice of element-wise kernels (elementwise_avx512.c, elementwise_avx2.c).
#include "elementwise.h"
#include "conv3x3.h"

#include <stddef.h>

#if defined(__x86_64__)
extern const struct repro_elementwise_kernels repro_elementwise_avx512_kernels;
extern const struct repro_elementwise_kernels repro_elementwise_avx2_kernels;

const struct repro_elementwise_kernels *repro_elementwise_kernels(int isa) {
    __builtin_cpu_init();
    switch (isa) {
    case REPRO_CONV3X3_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
            ? &repro_elementwise_avx512_kernels : NULL;
    case REPRO_CONV3X3_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            ? &repro_elementwise_avx2_kernels : NULL;
    default: return NULL;
    }
}
#else
const struct repro_elementwise_kernels *repro_elementwise_kernels(int isa) {
    (void)isa;
    return NULL;
}
#endif
