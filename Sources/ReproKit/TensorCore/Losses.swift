import Foundation

/// Losses, each one fused kernel forward and backward, reduced to a scalar mean.

/// Cross-entropy of `logits` [N, K] against class indices `targets` (N of them), averaged
/// over the rows whose target is not `ignoreIndex`. Computed through a fused, max-shifted
/// log-softmax, so large logits do not overflow.
///
/// With label smoothing ε (PyTorch's formula, Szegedy et al. 2016) a row's loss is
/// (1 − ε)·(−log p_t) + (ε/K)·Σ_k (−log p_k). When every row is ignored the loss is 0 with a
/// zero gradient (PyTorch gives NaN there), so one empty batch cannot poison a running mean.
public func crossEntropy(_ logits: Tensor, targets: [Int], labelSmoothing: Float = 0,
                         ignoreIndex: Int = -100) -> Tensor {
    precondition(logits.rank == 2, "crossEntropy: logits need shape [N, K], got \(logits.shape)")
    let n = logits.shape[0], k = logits.shape[1]
    precondition(targets.count == n, "crossEntropy: \(targets.count) targets for logits of shape \(logits.shape)")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                 "crossEntropy: labelSmoothing must lie in [0, 1], got \(labelSmoothing)")
    var valid = 0
    for (i, t) in targets.enumerated() where t != ignoreIndex {
        precondition(t >= 0 && t < k,
                     "crossEntropy: target \(t) of row \(i) is outside the \(k) classes 0..<\(k) (and is not ignoreIndex \(ignoreIndex))")
        valid += 1
    }
    let probs = Tensor(uninitializedShape: [n, k])
    let rowLoss = Tensor(uninitializedShape: [n])
    targets.withUnsafeBufferPointer { tp in
        if let t = tp.baseAddress {
            LossKernels.crossEntropyRows(logits.data, t, n, k, ignoreIndex, labelSmoothing, probs.data, rowLoss.data)
        }
    }
    var total = 0.0
    for i in 0..<n { total += Double(rowLoss.data[i]) }
    let out = Tensor(scalar: valid == 0 ? 0 : Float(total / Double(valid)))
    return out.recordingGrad(inputs: [logits]) { g in
        // d/dx_k = (p_k − q_k) / N_valid with q = (1 − ε)·onehot(t) + ε/K.
        let gx = Tensor(uninitializedShape: [n, k])
        let coef = valid == 0 ? 0 : g.data[0] / Float(valid)
        targets.withUnsafeBufferPointer { tp in
            if let t = tp.baseAddress {
                LossKernels.crossEntropyGrad(probs.data, t, n, k, ignoreIndex, labelSmoothing, coef, gx.data)
            }
        }
        logits.accumulateGrad(gx)
    }
}

/// Mean squared error, mean((input − target)²); gradients flow to both.
public func mseLoss(_ input: Tensor, _ target: Tensor) -> Tensor {
    precondition(input.shape == target.shape, "mseLoss: input \(input.shape) and target \(target.shape) differ")
    precondition(input.count > 0, "mseLoss: empty input")
    let n = input.count
    let diff = Tensor(uninitializedShape: input.shape)
    Kernels.sub(input.data, target.data, diff.data, n)
    let out = Tensor(scalar: Kernels.dot(diff.data, diff.data, n) / Float(n))
    return out.recordingGrad(inputs: [input, target]) { g in
        let coef = 2 * g.data[0] / Float(n)
        if input.tracksGrad {
            let gi = Tensor(uninitializedShape: input.shape)
            Kernels.scaleShift(diff.data, coef, 0, gi.data, n)
            input.accumulateGrad(gi)
        }
        if target.tracksGrad {
            let gt = Tensor(uninitializedShape: target.shape)
            Kernels.scaleShift(diff.data, -coef, 0, gt.data, n)
            target.accumulateGrad(gt)
        }
    }
}

/// Binary cross-entropy on logits, mean over elements, in the stable form
/// max(x, 0) − x·y + log(1 + e^(−|x|)). Gradients: (σ(x) − y)/n to the logits, −x/n to
/// the targets (soft labels may be learned).
public func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor) -> Tensor {
    precondition(logits.shape == targets.shape,
                 "binaryCrossEntropyWithLogits: logits \(logits.shape) and targets \(targets.shape) differ")
    precondition(logits.count > 0, "binaryCrossEntropyWithLogits: empty input")
    let n = logits.count
    let out = Tensor(scalar: LossKernels.bceWithLogitsSum(logits.data, targets.data, n) / Float(n))
    return out.recordingGrad(inputs: [logits, targets]) { g in
        let coef = g.data[0] / Float(n)
        if logits.tracksGrad {
            let gx = Tensor(uninitializedShape: logits.shape)
            LossKernels.bceWithLogitsGrad(logits.data, targets.data, coef, gx.data, n)
            logits.accumulateGrad(gx)
        }
        if targets.tracksGrad {
            let gy = Tensor(uninitializedShape: targets.shape)
            Kernels.scaleShift(logits.data, -coef, 0, gy.data, n)
            targets.accumulateGrad(gy)
        }
    }
}

enum LossKernels {
    /// Per row: probabilities into `probs` and the (smoothed) loss into `loss` (0 if ignored).
    @inline(never)
    static func crossEntropyRows(_ x: UnsafePointer<Float>, _ targets: UnsafePointer<Int>, _ n: Int, _ k: Int,
                                 _ ignore: Int, _ eps: Float, _ probs: UnsafeMutablePointer<Float>,
                                 _ loss: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(n, grain: max(1, (Kernels.grain / 8) / max(k, 1))) { r in
            for i in r {
                let xr = x + i * k, pr = probs + i * k
                let mx = FusedMath.max(xr, k)
                let total = FusedMath.expShifted(xr, pr, k, mx)
                let logZ = Foundation.log(total)
                let inv = 1 / total
                for j in 0..<k { pr[j] *= inv }
                let t = targets[i]
                if t == ignore { loss[i] = 0; continue }
                // log p_j = (x_j − max) − log Z
                let logPt = (xr[t] - mx) - logZ
                var l = -(1 - eps) * logPt
                if eps > 0 {
                    let sumLogP = (FusedMath.sum(xr, k) - Float(k) * mx) - Float(k) * logZ
                    l -= eps / Float(k) * sumLogP
                }
                loss[i] = l
            }
        }
    }

    @inline(never)
    static func crossEntropyGrad(_ probs: UnsafePointer<Float>, _ targets: UnsafePointer<Int>, _ n: Int, _ k: Int,
                                 _ ignore: Int, _ eps: Float, _ coef: Float, _ gx: UnsafeMutablePointer<Float>) {
        let smooth = eps / Float(k)
        Threads.pool.parallelFor(n, grain: max(1, Kernels.grain / max(k, 1))) { r in
            for i in r {
                let pr = probs + i * k, gr = gx + i * k, t = targets[i]
                if t == ignore {
                    for j in 0..<k { gr[j] = 0 }
                    continue
                }
                for j in 0..<k { gr[j] = (pr[j] - smooth) * coef }
                gr[t] -= (1 - eps) * coef
            }
        }
    }

    /// Σ max(x, 0) − x·y + log1p(e^(−|x|)).
    @inline(never)
    static func bceWithLogitsSum(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var total = 0.0
        var i = 0
        while i < n {
            let end = Swift.min(n, i + 4096)
            var s: Float = 0
            for j in i..<end {
                let v = x[j]
                s += Swift.max(v, 0) - v * y[j] + Foundation.log1p(FastMath.exp(-Swift.abs(v)))
            }
            total += Double(s)
            i = end
        }
        return Float(total)
    }

    /// (σ(x) − y)·coef with σ from e^(−|x|), never overflowing.
    @inline(never)
    static func bceWithLogitsGrad(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ coef: Float,
                                  _ gx: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: Kernels.grain) { r in
            for j in r {
                let v = x[j], e = FastMath.exp(-Swift.abs(v))
                let sig = (v >= 0 ? 1 : e) / (1 + e)
                gx[j] = (sig - y[j]) * coef
            }
        }
    }
}

/// Small vectorised building blocks shared by the fused normalisation, loss and attention
/// kernels: SIMD8 reductions (a plain float-sum loop does not vectorise without reassociation).
/// Their exp is `FastMath.exp`.
enum FusedMath {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ p[0..<n].
    @inline(__always) static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n { acc += load(p + i); i += 8 }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// max p[0..<n] (−∞ when n = 0). Four scalar chains: the stdlib's SIMD max is not inlined.
    @inline(__always) static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0
        var i = 0
        while i + 4 <= n {
            m0 = p[i] > m0 ? p[i] : m0
            m1 = p[i + 1] > m1 ? p[i + 1] : m1
            m2 = p[i + 2] > m2 ? p[i + 2] : m2
            m3 = p[i + 3] > m3 ? p[i + 3] : m3
            i += 4
        }
        while i < n { m0 = p[i] > m0 ? p[i] : m0; i += 1 }
        return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
    }

    /// Σ a·b.
    @inline(__always) static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n { acc += load(a + i) * load(b + i); i += 8 }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Σ (p − μ)².
    @inline(__always) static func sumSquaredDeviation(_ p: UnsafePointer<Float>, _ n: Int, _ mu: Float) -> Float {
        var acc = SIMD8<Float>()
        let m = SIMD8<Float>(repeating: mu)
        var i = 0
        while i + 8 <= n { let d = load(p + i) - m; acc += d * d; i += 8 }
        var s = acc.sum()
        while i < n { let d = p[i] - mu; s += d * d; i += 1 }
        return s
    }

    /// (Σ g, Σ g·(x − μ)).
    @inline(__always) static func sumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                                    _ mu: Float, _ n: Int) -> (Float, Float) {
        var a = SIMD8<Float>(), b = SIMD8<Float>()
        let m = SIMD8<Float>(repeating: mu)
        var i = 0
        while i + 8 <= n { let gv = load(g + i); a += gv; b += gv * (load(x + i) - m); i += 8 }
        var s = a.sum(), t = b.sum()
        while i < n { s += g[i]; t += g[i] * (x[i] - mu); i += 1 }
        return (s, t)
    }

    /// (Σ g·w, Σ g·w·(x − μ)).
    @inline(__always) static func weightedSumAndCenteredDot(_ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                                            _ x: UnsafePointer<Float>, _ mu: Float,
                                                            _ n: Int) -> (Float, Float) {
        var a = SIMD8<Float>(), b = SIMD8<Float>()
        let m = SIMD8<Float>(repeating: mu)
        var i = 0
        while i + 8 <= n {
            let h = load(g + i) * load(w + i)
            a += h; b += h * (load(x + i) - m); i += 8
        }
        var s = a.sum(), t = b.sum()
        while i < n { let h = g[i] * w[i]; s += h; t += h * (x[i] - mu); i += 1 }
        return (s, t)
    }

    /// dst = e^(src − shift), returning Σ dst (dst may be src).
    @inline(__always) static func expShifted(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                             _ n: Int, _ shift: Float) -> Float {
        for j in 0..<n { dst[j] = exp(src[j] - shift) }
        return sum(dst, n)
    }
}
