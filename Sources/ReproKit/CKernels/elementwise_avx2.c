// AVX2 + FMA instantiation of elementwise_kernels.h.
#if defined(__x86_64__)
#define KERNEL __attribute__((target("avx2,fma")))
#define KERNELS repro_elementwise_avx2_kernels
#include "elementwise_kernels.h"
#endif
