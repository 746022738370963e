internal import CKernels

/// Inverted dropout (Srivastava et al., 2014): in training each element is zeroed with
/// probability `p` and the kept ones are scaled by 1/(1 − p), so evaluation needs no change.
/// Identity (the very same tensor) when `!training` or `p == 0`; all zeros when `p == 1`.
///
/// Element i is kept when the RNG's counter-based draw number `counter + i` is ≥ p, so the
/// mask depends only on the seed and on how many numbers were drawn before: the same seed
/// gives the same mask whatever the thread count. `rng` advances by `x.count`. The mask is
/// not stored: backward draws it again from the same counters.
public func dropout(_ x: Tensor, p: Float, training: Bool, rng: inout RNG) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout: p must lie in [0, 1], got \(p)")
    guard training && p > 0 else { return x }
    let key = rng.key, base = rng.counter
    rng.counter &+= UInt64(x.count)
    let out = Tensor(uninitializedShape: x.shape)
    DropoutMask.apply(x.data, out.data, x.count, key: key, first: base, p: p)
    return out.recordingGrad(inputs: [x]) { g in
        let gx = Tensor(uninitializedShape: x.shape)
        DropoutMask.apply(g.data, gx.data, g.count, key: key, first: base, p: p)
        x.accumulateGrad(gx)
    }
}

/// The dropout mask as a function of (key, counter): shared with attention's dropout.
enum DropoutMask {
    /// Element `first + i` keeps its value when its 24-bit uniform draw u satisfies u ≥ p.
    @inline(never)
    static func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
                      key: UInt64, first: UInt64, p: Float) {
        // Comparing integers: u·2²⁴ ≥ ⌈p·2²⁴⌉ ⇔ u ≥ p for 24-bit u; p = 1 keeps nothing.
        let threshold = UInt64((Double(p) * 0x1p24).rounded(.up))
        let scale: Float = p >= 1 ? 0 : 1 / (1 - p)
        let kernels = ElementwiseKernels.current
        Threads.pool.parallelFor(n, grain: 1 << 14) { r in
            if let k = kernels {
                return k.dropout(src + r.lowerBound, dst + r.lowerBound, r.count, key,
                                 first &+ UInt64(r.lowerBound), threshold, scale)
            }
            for i in r {
                let u = RNG.bits(key, first &+ UInt64(i)) >> 40
                // Branch-free keep flag: u − threshold wraps (top bit set) exactly when u < threshold.
                let keep = Float(1 &- ((u &- threshold) >> 63))
                dst[i] = src[i] * (keep * scale)
            }
        }
    }
}
