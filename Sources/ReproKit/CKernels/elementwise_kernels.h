// The element-wise kernels written once as plain loops; a per-ISA file defines KERNEL (its
// target attribute) and KERNELS (the exported struct's name) and includes this file, and the
// compiler vectorises each loop at that ISA's width. No include guard: once per ISA file.
#include "elementwise.h"

#include <stdint.h>
#include <string.h>

// FastMath.exp (TensorCore/Unary.swift): Cephes' expf polynomial, branch-free.
KERNEL static inline float fast_exp(float x0) {
    float x = x0 < -105.0f ? -105.0f : x0;
    x = x > 89.0f ? 89.0f : x;
    const float magic = 12582912.0f;
    float t = x * 1.44269504f + magic;
    float nf = t - magic;
    uint32_t tb, mb;
    memcpy(&tb, &t, 4);
    memcpy(&mb, &magic, 4);
    int32_t n = (int32_t)(tb - mb);
    float r = x - nf * 0.693359375f - nf * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t h = n >> 1;
    uint32_t b1 = (uint32_t)(h + 127) << 23, b2 = (uint32_t)(n - h + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4);
    memcpy(&s2, &b2, 4);
    return p * s1 * s2;
}

KERNEL static inline float sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

KERNEL static void silu(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = x[i] * sigmoid(x[i]);
}

KERNEL static void silu_grad(const float *x, const float *g, float *dx, long n) {
    for (long i = 0; i < n; i++) {
        float v = x[i], s = sigmoid(v);
        dx[i] = g[i] * s * (1.0f + v * (1.0f - s));
    }
}

// RNG.mix (TensorCore/RNG.swift): SplitMix64's finaliser.
KERNEL static inline uint64_t mix(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

KERNEL static void dropout(const float *src, float *dst, long n, unsigned long long key,
                           unsigned long long first, unsigned long long threshold, float scale) {
    for (long i = 0; i < n; i++) {
        uint64_t u = mix(key ^ mix(first + (uint64_t)i)) >> 40;
        // keep · scale of the Swift version: exactly scale or 0, as a compare and a blend.
        float m = u >= threshold ? scale : 0.0f;
        dst[i] = src[i] * m;
    }
}

const struct repro_elementwise_kernels KERNELS = {silu, silu_grad, dropout};
