// AVX-512 instantiation of elementwise_kernels.h (AVX512DQ for the hash's 64-bit multiplies).
#if defined(__x86_64__)
#define KERNEL __attribute__((target("avx512f,avx512dq,fma")))
#define KERNELS repro_elementwise_avx512_kernels
#include "elementwise_kernels.h"
#endif
