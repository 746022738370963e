/// ReLU fused into the batch norm before it, for the BN → ReLU and BN → residual add → ReLU
/// ends of ResNet's convolutions: one pass over memory instead of two in the forward, and in the backward the
/// ReLU mask is applied while the gradient is read rather than written out first.
///
/// Results equal the unfused ops' bit for bit: the same expressions in the same order, the
/// mask being the sign of the same value.

/// The loops. The masks are taken from y = x·a + s recomputed exactly as the forward computed
/// it, so the backward needs no copy of the output.
enum FusedReLUKernels {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// out = max(0, x·a[c] + s[c]) over [outer, C, inner].
    @inline(never)
    static func channelAffineRelu(_ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ s: UnsafePointer<Float>,
                                  _ out: UnsafeMutablePointer<Float>, _ outer: Int, _ c: Int, _ inner: Int) {
        if inner == 1 {
            Threads.pool.parallelFor(outer, grain: max(1, Kernels.grain / max(c, 1))) { r in
                for i in r {
                    let src = x + i * c, dst = out + i * c
                    for j in 0..<c { let v = src[j] * a[j] + s[j]; dst[j] = v > 0 ? v : 0 }
                }
            }
            return
        }
        Threads.pool.parallelFor(outer * c, grain: max(1, Kernels.grain / inner)) { r in
            for plane in r {
                let ch = plane % c, o = plane * inner
                affineReluRow(x + o, a[ch], s[ch], out + o, inner)
            }
        }
    }

    /// out = max(0, (x·a[c] + s[c]) + r) over [outer, C, inner]: batch norm, residual add, ReLU.
    @inline(never)
    static func channelAffineAddRelu(_ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ s: UnsafePointer<Float>,
                                     _ res: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                     _ outer: Int, _ c: Int, _ inner: Int) {
        if inner == 1 {
            Threads.pool.parallelFor(outer, grain: max(1, Kernels.grain / max(c, 1))) { r in
                for i in r {
                    let src = x + i * c, rr = res + i * c, dst = out + i * c
                    for j in 0..<c { let v = (src[j] * a[j] + s[j]) + rr[j]; dst[j] = v > 0 ? v : 0 }
                }
            }
            return
        }
        Threads.pool.parallelFor(outer * c, grain: max(1, Kernels.grain / inner)) { r in
            for plane in r {
                let ch = plane % c, o = plane * inner
                affineAddReluRow(x + o, a[ch], s[ch], res + o, out + o, inner)
            }
        }
    }

    @inline(__always)
    static func affineAddReluRow(_ x: UnsafePointer<Float>, _ a: Float, _ s: Float, _ res: UnsafePointer<Float>,
                                 _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        let zero = SIMD8<Float>(repeating: 0), av = SIMD8<Float>(repeating: a), sv = SIMD8<Float>(repeating: s)
        var i = 0
        while i + 8 <= n {
            let v = (load(x + i) * av + sv) + load(res + i)
            store(zero.replacing(with: v, where: v .> zero), o + i)
            i += 8
        }
        while i < n { let v = (x[i] * a + s) + res[i]; o[i] = v > 0 ? v : 0; i += 1 }
    }

    @inline(__always)
    static func affineReluRow(_ x: UnsafePointer<Float>, _ a: Float, _ s: Float, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        let zero = SIMD8<Float>(repeating: 0), av = SIMD8<Float>(repeating: a), sv = SIMD8<Float>(repeating: s)
        var i = 0
        while i + 8 <= n {
            let v = load(x + i) * av + sv
            store(zero.replacing(with: v, where: v .> zero), o + i)
            i += 8
        }
        while i < n { let v = x[i] * a + s; o[i] = v > 0 ? v : 0; i += 1 }
    }

    /// Per channel of [outer, C, inner] (inner > 1), with gm = g·[x·a + s > 0]:
    /// sg = Σ gm and sgx = Σ gm·(x − μ).
    @inline(never)
    static func maskedChannelGradSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                      _ mean: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                                      _ s: UnsafePointer<Float>, _ outer: Int, _ c: Int, _ inner: Int,
                                      _ sg: UnsafeMutablePointer<Float>, _ sgx: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(c, grain: max(1, Kernels.grain / max(outer * inner, 1))) { r in
            for ch in r {
                var st = 0.0, tt = 0.0
                for i in 0..<outer {
                    let o = (i * c + ch) * inner
                    let (p, q) = maskedSumAndCenteredDot(g + o, x + o, mean[ch], a[ch], s[ch], inner)
                    st += Double(p); tt += Double(q)
                }
                sg[ch] = Float(st); sgx[ch] = Float(tt)
            }
        }
    }

    /// (Σ gm, Σ gm·(x − μ)) with gm = g where x·a + s > 0, else 0; the same lanes and order
    /// as `FusedMath.sumAndCenteredDot` over the masked gradient.
    @inline(__always)
    static func maskedSumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ mu: Float,
                                        _ a: Float, _ s: Float, _ n: Int) -> (Float, Float) {
        var sa = SIMD8<Float>(), sb = SIMD8<Float>()
        let zero = SIMD8<Float>(repeating: 0), m = SIMD8<Float>(repeating: mu)
        let av = SIMD8<Float>(repeating: a), sv = SIMD8<Float>(repeating: s)
        var i = 0
        while i + 8 <= n {
            let xv = load(x + i)
            let gv = zero.replacing(with: load(g + i), where: xv * av + sv .> zero)
            sa += gv; sb += gv * (xv - m); i += 8
        }
        var p = sa.sum(), q = sb.sum()
        while i < n {
            let gv: Float = x[i] * a + s > 0 ? g[i] : 0
            p += gv; q += gv * (x[i] - mu); i += 1
        }
        return (p, q)
    }

    /// out = gm·α[c] + x·β[c] + γ[c] with gm = g·[x·a + s > 0], over [outer, C, inner] (inner > 1).
    @inline(never)
    static func maskedChannelCombine(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                     _ a: UnsafePointer<Float>, _ s: UnsafePointer<Float>,
                                     _ alpha: UnsafePointer<Float>, _ beta: UnsafePointer<Float>,
                                     _ shift: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                     _ outer: Int, _ c: Int, _ inner: Int) {
        Threads.pool.parallelFor(outer * c, grain: max(1, Kernels.grain / inner)) { r in
            for plane in r {
                let ch = plane % c, o = plane * inner
                maskedCombineRow(g + o, x + o, a[ch], s[ch], alpha[ch], beta[ch], shift[ch], out + o, inner)
            }
        }
    }

    @inline(__always)
    static func maskedCombineRow(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ a: Float, _ s: Float,
                                 _ alpha: Float, _ beta: Float, _ shift: Float,
                                 _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        let zero = SIMD8<Float>(repeating: 0)
        let av = SIMD8<Float>(repeating: a), sv = SIMD8<Float>(repeating: s)
        let al = SIMD8<Float>(repeating: alpha), be = SIMD8<Float>(repeating: beta), sh = SIMD8<Float>(repeating: shift)
        var i = 0
        while i + 8 <= n {
            let xv = load(x + i)
            let gv = zero.replacing(with: load(g + i), where: xv * av + sv .> zero)
            store(gv * al + xv * be + sh, o + i)
            i += 8
        }
        while i < n {
            let gv: Float = x[i] * a + s > 0 ? g[i] : 0
            o[i] = gv * alpha + x[i] * beta + shift; i += 1
        }
    }
}
