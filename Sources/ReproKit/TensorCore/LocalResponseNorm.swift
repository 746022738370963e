import Foundation

/// Local response normalisation across channels (Krizhevsky et al. 2012), exactly as
/// `torch.nn.functional.local_response_norm`:
///
///   d_c = k + α/size · Σ_{c' = c − ⌊size/2⌋ … c + ⌊(size−1)/2⌋} x_c'²   (missing channels are 0)
///   y_c = x_c · d_c^(−β)
///
/// Backward: dx_j = g_j d_j^(−β) − (2αβ/size) · x_j · Σ_{c : j ∈ window(c)} g_c x_c d_c^(−β−1),
/// where j ∈ window(c) ⇔ c ∈ [j − ⌊(size−1)/2⌋, j + ⌊size/2⌋].
enum LRNKernels {
    /// Writes den = d and inv = d^(−β) and y for `images` images of [C, hw].
    @inline(never)
    static func forward(_ x: UnsafePointer<Float>, images: Int, channels: Int, hw: Int, size: Int,
                        alpha: Float, beta: Float, k: Float,
                        _ den: UnsafeMutablePointer<Float>, _ inv: UnsafeMutablePointer<Float>,
                        _ y: UnsafeMutablePointer<Float>) {
        let scale = alpha / Float(size)
        Threads.pool.parallelFor(images * channels, grain: max(1, Kernels.grain / max(hw * size, 1))) { r in
            for item in r {
                let n = item / channels, c = item % channels
                let lo = max(c - size / 2, 0), hi = min(c + (size - 1) / 2, channels - 1)
                let d = den + item * hw
                for i in 0..<hw { d[i] = 0 }
                for cc in stride(from: lo, through: hi, by: 1) {
                    let xs = x + (n * channels + cc) * hw
                    for i in 0..<hw { d[i] += xs[i] * xs[i] }
                }
                let xs = x + item * hw, v = inv + item * hw, ys = y + item * hw
                for i in 0..<hw { d[i] = k + scale * d[i] }
                if beta == 0.75 {
                    // AlexNet's β: d^(−3/4) = 1/√(d·√d), two square roots instead of powf, four
                    // lanes at a time (SIMD square roots skip the scalar one's errno check).
                    var i = 0
                    while i + 4 <= hw {
                        let dv = UnsafeRawPointer(d + i).loadUnaligned(as: SIMD4<Float>.self)
                        let r = 1 / (dv * dv.squareRoot()).squareRoot()
                        UnsafeMutableRawPointer(v + i).storeBytes(of: r, as: SIMD4<Float>.self)
                        i += 4
                    }
                    while i < hw { v[i] = 1 / (d[i] * d[i].squareRoot()).squareRoot(); i += 1 }
                } else {
                    for i in 0..<hw { v[i] = powf(d[i], -beta) }
                }
                for i in 0..<hw { ys[i] = xs[i] * v[i] }
            }
        }
    }

    /// dx from g, given x, den and inv from the forward pass; `t` is scratch of x's size.
    @inline(never)
    static func backward(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ den: UnsafePointer<Float>,
                         _ inv: UnsafePointer<Float>, images: Int, channels: Int, hw: Int, size: Int,
                         alpha: Float, beta: Float,
                         _ t: UnsafeMutablePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        let total = images * channels * hw
        // t = g · x · d^(−β−1)
        Threads.pool.parallelFor(total, grain: Kernels.grain) { r in
            for i in r { t[i] = g[i] * x[i] * inv[i] / den[i] }
        }
        let coef = 2 * alpha * beta / Float(size)
        Threads.pool.parallelFor(images * channels, grain: max(1, Kernels.grain / max(hw * size, 1))) { r in
            for item in r {
                let n = item / channels, j = item % channels
                let lo = max(j - (size - 1) / 2, 0), hi = min(j + size / 2, channels - 1)
                let o = item * hw
                let d = dx + o
                for i in 0..<hw { d[i] = 0 }
                for c in stride(from: lo, through: hi, by: 1) {
                    let ts = t + (n * channels + c) * hw
                    for i in 0..<hw { d[i] += ts[i] }
                }
                for i in 0..<hw { d[i] = g[o + i] * inv[o + i] - coef * x[o + i] * d[i] }
            }
        }
    }
}

/// Local response normalisation over the channel axis of [N, C, …] input, as
/// `torch.nn.functional.local_response_norm(x, size, alpha, beta, k)` (α is divided by size).
public func localResponseNorm(_ x: Tensor, size: Int, alpha: Float = 1e-4, beta: Float = 0.75,
                              k: Float = 1) -> Tensor {
    precondition(x.rank >= 3, "localResponseNorm: input must be [N, C, ...] with spatial axes, got \(x.shape)")
    precondition(size >= 1, "localResponseNorm: size \(size) must be at least 1")
    let (n, c) = (x.shape[0], x.shape[1])
    let hw = x.shape.dropFirst(2).reduce(1, *)
    let out = Tensor(uninitializedShape: x.shape)
    let den = Tensor(uninitializedShape: x.shape), inv = Tensor(uninitializedShape: x.shape)
    LRNKernels.forward(x.data, images: n, channels: c, hw: hw, size: size, alpha: alpha, beta: beta, k: k,
                       den.data, inv.data, out.data)
    return out.recordingGrad(inputs: [x]) { g in
        let t = Tensor(uninitializedShape: x.shape), gx = Tensor(uninitializedShape: x.shape)
        LRNKernels.backward(g.data, x.data, den.data, inv.data, images: n, channels: c, hw: hw, size: size,
                            alpha: alpha, beta: beta, t.data, gx.data)
        x.accumulateGrad(gx)
    }
}
