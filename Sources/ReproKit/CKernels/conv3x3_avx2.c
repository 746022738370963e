// AVX2 + FMA instantiation of conv3x3_kernels.h, for x86-64 CPUs without AVX-512 (AMD Zen 1–3,
// Intel client cores), with 16 ymm registers. Forward: tiles of 4 channels × 16 pixels (8
// accumulators, 2 input vectors, a broadcast weight). On a 2-core Zen 3 EPYC VM (c = o = 16…64,
// 32×32…8×8 images) that ran 75–85 GFLOP/s; 4 × 24 pixels (12 accumulators) made clang spill
// and ran 60–70; 8 channels × 8 pixels, one load per FMA, ran ~45. dW: one output channel × 9
// taps per pass (9 accumulators), 35–55 GFLOP/s.
#if defined(__x86_64__)
#include <immintrin.h>

#define KERNEL __attribute__((target("avx2,fma")))
typedef __m256 vec;
enum { LANES = 8, OBK = 4, NX = 2, WO = 1 };
#define vzero() _mm256_setzero_ps()
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vset1(f) _mm256_set1_ps(f)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define KERNELS repro_conv3x3_avx2_kernels

KERNEL static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// Lanes [0, k) of a mask: 8 − k entries into {-1 × 8, 0 × 8}.
static const int mask_window[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
KERNEL static inline __m256i first_lanes(long k) {
    return _mm256_loadu_si256((const __m256i *)(mask_window + 8 - k));
}

// dst[0..<n] = src[0..<n] for short rows, without a libc call (see conv3x3_avx512.c).
KERNEL static inline void copy_row(float *dst, const float *src, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
    if (i < n) {
        __m256i m = first_lanes(n - i);
        _mm256_maskstore_ps(dst + i, m, _mm256_maskload_ps(src + i, m));
    }
}

// dst[0..<n] = 0, for the same reason.
KERNEL static inline void zero_row(float *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_setzero_ps());
    if (i < n) _mm256_maskstore_ps(dst + i, first_lanes(n - i), _mm256_setzero_ps());
}

#include "conv3x3_kernels.h"
#endif
