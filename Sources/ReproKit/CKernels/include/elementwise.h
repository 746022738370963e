// Element-wise kernels that Swift's baseline-x86-64 loops run at SSE width: SiLU forward and
// backward (an exp per element) and the dropout mask (two SplitMix64 hashes per element, 64-bit
// multiplies that SSE2 has no vector form of). Written once (elementwise_kernels.h) and built for
// AVX-512 and for AVX2 + FMA, chosen at run time as the 3×3 convolutions are. Single-threaded;
// callers split ranges across threads.
#ifndef REPRO_ELEMENTWISE_H
#define REPRO_ELEMENTWISE_H

#pragma clang assume_nonnull begin

/// One instruction set's element-wise kernels.
struct repro_elementwise_kernels {
    /// y = x · σ(x), with FastMath.exp's polynomial (Cephes expf).
    void (*silu)(const float *x, float *y, long n);
    /// dx = g · σ(x)(1 + x(1 − σ(x))): SiLU's derivative, from the input x.
    void (*silu_grad)(const float *x, const float *g, float *dx, long n);
    /// dst[i] = src[i] · scale where the 24-bit draw of counter `first + i` under `key`
    /// (RNG.bits(key, first + i) >> 40) is ≥ `threshold`, else 0: TensorCore's DropoutMask,
    /// bit for bit.
    void (*dropout)(const float *src, float *dst, long n, unsigned long long key,
                    unsigned long long first, unsigned long long threshold, float scale);
};

/// The kernels of `isa` (REPRO_CONV3X3_AVX512 or REPRO_CONV3X3_AVX2) when this CPU runs it, else NULL.
const struct repro_elementwise_kernels *_Nullable repro_elementwise_kernels(int isa);

#pragma clang assume_nonnull end

#endif
