// AVX-512 instantiation of conv3x3_kernels.h: forward tiles of 8 channels × 48 pixels
// (24 of 32 zmm registers accumulate), dW in passes of 3 output channels × 9 taps (27).
// On this project's 2-core VMs that ran at 80–85% of one core's measured FMA peak
// (~175 GFLOP/s) with the data in L2.
#if defined(__x86_64__)
#include <immintrin.h>

#define KERNEL __attribute__((target("avx512f,fma")))
typedef __m512 vec;
enum { LANES = 16, OBK = 8, NX = 3, WO = 3 };
#define vzero() _mm512_setzero_ps()
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vset1(f) _mm512_set1_ps(f)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define KERNELS repro_conv3x3_avx512_kernels

KERNEL static inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

// dst[0..<n] = src[0..<n] for short rows: a libc memcpy call per 28–128-byte row cost more
// than the copy (10% of a ResNet step).
KERNEL static inline void copy_row(float *dst, const float *src, int n) {
    int i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i));
    }
}

// dst[0..<n] = 0, for the same reason.
KERNEL static inline void zero_row(float *dst, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_setzero_ps());
    if (i < n) _mm512_mask_storeu_ps(dst + i, (__mmask16)((1u << (n - i)) - 1), _mm512_setzero_ps());
}

#include "conv3x3_kernels.h"
#endif
