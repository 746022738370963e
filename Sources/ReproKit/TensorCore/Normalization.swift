/// Batch, layer and group normalisation: each one fused kernel forward and one backward.
///
/// Forward: x̂ = (x − μ) / √(σ² + ε), y = γ·x̂ + β, with σ² the biased variance of the set
/// being normalised (a channel over the batch, a sample's trailing axes, a sample's group).
/// Backward, in closed form over the same set of M elements:
///   dx = γ/σ̂ · (g − mean(g) − x̂ · mean(g·x̂)),  dγ = Σ g·x̂,  dβ = Σ g
/// (sums for dγ, dβ per channel over everything that shares it). Statistics and the affine
/// sums accumulate in Double across segments so a long reduction stays accurate.

/// Batch normalisation over axis 1 (Ioffe & Szegedy, 2015) for [N, C], [N, C, L] or
/// [N, C, H, W]. Training normalises with the batch mean and biased variance and, when given,
/// updates `runningMean`/`runningVar` in place by PyTorch's rule
/// r ← (1 − momentum)·r + momentum·stat, the variance stat being unbiased (·M/(M−1)).
/// Eval normalises with the running statistics. Gradients flow to x, weight and bias; the
/// running statistics never get one.
public func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?,
                      runningVar: Tensor?, training: Bool, momentum: Float = 0.1,
                      eps: Float = 1e-5) -> Tensor {
    batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
              training: training, momentum: momentum, eps: eps, relu: false)
}

/// relu(batchNorm(...)) as one op (see FusedReLU.swift): the same values and gradients, with
/// one pass less over the activations each way.
public func batchNormRelu(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?,
                          runningVar: Tensor?, training: Bool, momentum: Float = 0.1,
                          eps: Float = 1e-5) -> Tensor {
    batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
              training: training, momentum: momentum, eps: eps, relu: true)
}

/// relu(batchNorm(...) + residual) as one op, the end of a residual block: the same values and
/// gradients (residual gets g·[y > 0]), without the intermediate sum's buffer and passes.
public func batchNormAddRelu(_ x: Tensor, residual: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?,
                             runningVar: Tensor?, training: Bool, momentum: Float = 0.1,
                             eps: Float = 1e-5) -> Tensor {
    precondition(residual.shape == x.shape, "batchNormAddRelu: residual \(residual.shape) for input \(x.shape)")
    return batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                     training: training, momentum: momentum, eps: eps, relu: true, residual: residual)
}

private func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?,
                       runningVar: Tensor?, training: Bool, momentum: Float, eps: Float, relu: Bool,
                       residual: Tensor? = nil) -> Tensor {
    precondition(x.rank >= 2, "batchNorm: input needs shape [N, C, ...], got \(x.shape)")
    let n = x.shape[0], c = x.shape[1], inner = x.shape.dropFirst(2).reduce(1, *)
    for (name, t) in [("weight", weight), ("bias", bias), ("runningMean", runningMean),
                      ("runningVar", runningVar)] {
        if let t { precondition(t.count == c, "batchNorm: \(name) of shape \(t.shape) for \(c) channels (input \(x.shape))") }
    }
    let m = n * inner
    let mean = Tensor(uninitializedShape: [c]), rstd = Tensor(uninitializedShape: [c])
    if training {
        precondition(m > 1, "batchNorm: training needs more than one value per channel, input is \(x.shape)")
        NormKernels.channelStats(x.data, n, c, inner, mean.data, rstd.data)   // rstd holds σ² for now
        let unbias = Float(m) / Float(m - 1)
        if let rm = runningMean {
            for i in 0..<c { rm.data[i] = (1 - momentum) * rm.data[i] + momentum * mean.data[i] }
        }
        if let rv = runningVar {
            for i in 0..<c { rv.data[i] = (1 - momentum) * rv.data[i] + momentum * rstd.data[i] * unbias }
        }
        for i in 0..<c { rstd.data[i] = 1 / (rstd.data[i] + eps).squareRoot() }
    } else {
        guard let rm = runningMean, let rv = runningVar else {
            preconditionFailure("batchNorm: eval mode (training: false) needs runningMean and runningVar")
        }
        // Copies: a later training step may update the running stats before this backward runs.
        for i in 0..<c {
            mean.data[i] = rm.data[i]
            rstd.data[i] = 1 / (rv.data[i] + eps).squareRoot()
        }
    }
    // y = x·a + s with a = γ/σ̂, s = β − μ·a (per channel).
    let a = Tensor(uninitializedShape: [c]), s = Tensor(uninitializedShape: [c])
    for i in 0..<c {
        let w = weight?.data[i] ?? 1, b = bias?.data[i] ?? 0
        a.data[i] = w * rstd.data[i]
        s.data[i] = b - mean.data[i] * a.data[i]
    }
    let out = Tensor(uninitializedShape: x.shape)
    if let residual {
        FusedReLUKernels.channelAffineAddRelu(x.data, a.data, s.data, residual.data, out.data, n, c, inner)
    } else if relu {
        FusedReLUKernels.channelAffineRelu(x.data, a.data, s.data, out.data, n, c, inner)
    } else {
        NormKernels.channelCombine(x.data, a.data, nil, nil, s.data, out.data, n, c, inner)
    }
    // With the ReLU, the gradient below is g·[y > 0]: masked while read when inner > 1,
    // else first written out from the output (an [N, C] batch is small; the residual needs it).
    let masked = relu && inner > 1 && residual == nil
    let y: Tensor? = relu && !masked ? out.detached() : nil

    let inputs = [x] + [weight, bias, residual].compactMap { $0 }
    return out.recordingGrad(inputs: inputs) { gOut in
        var g = gOut
        if let y {
            g = Tensor(uninitializedShape: x.shape)
            UnaryKernels.applyGrad(.reluY, y.data, gOut.data, g.data, g.count)
        }
        if let residual, residual.tracksGrad { residual.accumulateGrad(g) }
        let sg = Tensor(uninitializedShape: [c]), sgx = Tensor(uninitializedShape: [c])
        // sg = Σ g, sgx = Σ g·x̂ per channel.
        if masked {
            FusedReLUKernels.maskedChannelGradSums(g.data, x.data, mean.data, a.data, s.data, n, c, inner,
                                                   sg.data, sgx.data)
        } else {
            NormKernels.channelGradSums(g.data, x.data, mean.data, n, c, inner, sg.data, sgx.data)
        }
        for i in 0..<c { sgx.data[i] *= rstd.data[i] }
        if x.tracksGrad {
            // dx = k·g + β·x + γ₀ with k = γ/σ̂; training adds the terms through μ and σ².
            let alpha = Tensor(uninitializedShape: [c]), beta = Tensor(uninitializedShape: [c])
            let shift = Tensor(uninitializedShape: [c])
            let inv = 1 / Float(m)
            for i in 0..<c {
                let k = (weight?.data[i] ?? 1) * rstd.data[i]
                alpha.data[i] = k
                if training {
                    let b = -k * rstd.data[i] * sgx.data[i] * inv
                    beta.data[i] = b
                    shift.data[i] = -k * sg.data[i] * inv - b * mean.data[i]
                } else {
                    beta.data[i] = 0
                    shift.data[i] = 0
                }
            }
            let gx = Tensor(uninitializedShape: x.shape)
            if masked {
                FusedReLUKernels.maskedChannelCombine(g.data, x.data, a.data, s.data, alpha.data, beta.data,
                                                      shift.data, gx.data, n, c, inner)
            } else {
                NormKernels.channelCombine(g.data, alpha.data, x.data, beta.data, shift.data, gx.data, n, c, inner)
            }
            x.accumulateGrad(gx)
        }
        if let weight, weight.tracksGrad { weight.accumulateGrad(sgx.reshapedView(weight.shape)) }
        if let bias, bias.tracksGrad { bias.accumulateGrad(sg.reshapedView(bias.shape)) }
    }
}

/// Layer normalisation (Ba et al., 2016) over the trailing axes `normalizedShape`, with an
/// element-wise affine `weight`/`bias` of that shape.
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?,
                      eps: Float = 1e-5) -> Tensor {
    let k = normalizedShape.count
    precondition(k >= 1 && x.rank >= k && Array(x.shape.suffix(k)) == normalizedShape,
                 "layerNorm: normalizedShape \(normalizedShape) is not the trailing shape of input \(x.shape)")
    let d = normalizedShape.reduce(1, *)
    return rowNorm(x, name: "layerNorm", rows: x.count / max(d, 1), groups: 1, channels: d, inner: 1,
                   weight: weight, bias: bias, eps: eps)
}

/// Group normalisation (Wu & He, 2018) of [N, C, ...]: statistics per sample over each of
/// `groups` groups of C/groups channels and their spatial axes; affine per channel.
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?,
                      eps: Float = 1e-5) -> Tensor {
    precondition(x.rank >= 2, "groupNorm: input needs shape [N, C, ...], got \(x.shape)")
    let c = x.shape[1]
    precondition(groups > 0 && c % groups == 0, "groupNorm: \(c) channels do not split into \(groups) groups")
    return rowNorm(x, name: "groupNorm", rows: x.shape[0] * groups, groups: groups, channels: c,
                   inner: x.shape.dropFirst(2).reduce(1, *), weight: weight, bias: bias, eps: eps)
}

/// Layer and group norm are one op: `rows` contiguous rows (sample × group) normalised
/// separately, each row C/groups channel blocks of `inner` elements; the affine is per channel.
private func rowNorm(_ x: Tensor, name: String, rows: Int, groups: Int, channels c: Int, inner: Int,
                     weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
    for (what, t) in [("weight", weight), ("bias", bias)] {
        if let t { precondition(t.count == c, "\(name): \(what) of shape \(t.shape) needs \(c) elements (input \(x.shape))") }
    }
    let len = x.count / max(rows, 1)
    let w = weight ?? Tensor.ones([c]), b = bias ?? Tensor.zeros([c])
    let mean = Tensor(uninitializedShape: [rows]), rstd = Tensor(uninitializedShape: [rows])
    let out = Tensor(uninitializedShape: x.shape)
    NormKernels.rowForward(x.data, out.data, rows, len, groups, c / groups, inner, w.data, b.data, eps,
                           mean.data, rstd.data)
    let inputs = [x] + [weight, bias].compactMap { $0 }
    return out.recordingGrad(inputs: inputs) { g in
        if x.tracksGrad {
            let gx = Tensor(uninitializedShape: x.shape)
            NormKernels.rowBackward(g.data, x.data, gx.data, rows, len, groups, c / groups, inner, w.data,
                                    mean.data, rstd.data)
            x.accumulateGrad(gx)
        }
        if weight?.tracksGrad == true || bias?.tracksGrad == true {
            let dw = Tensor(uninitializedShape: [c]), db = Tensor(uninitializedShape: [c])
            NormKernels.rowAffineGrad(g.data, x.data, rows / groups, groups, c, inner, mean.data, rstd.data,
                                      dw.data, db.data)
            if let weight, weight.tracksGrad { weight.accumulateGrad(dw.reshapedView(weight.shape)) }
            if let bias, bias.tracksGrad { bias.accumulateGrad(db.reshapedView(bias.shape)) }
        }
    }
}

/// The loops behind the normalisations. x is seen as [outer, C, inner] (batch norm) or as
/// rows of `len` = (C/groups)·inner elements (layer and group norm).
enum NormKernels {
    /// Per-channel mean and biased variance (two passes: the second sums (x − μ)²).
    @inline(never)
    static func channelStats(_ x: UnsafePointer<Float>, _ outer: Int, _ c: Int, _ inner: Int,
                             _ mean: UnsafeMutablePointer<Float>, _ variance: UnsafeMutablePointer<Float>) {
        let m = Double(outer * inner)
        if inner == 1 {
            // [N, C]: a channel is a column; sweep rows, vectorised across columns.
            Threads.pool.parallelFor(c, grain: max(1, Kernels.grain / max(outer, 1))) { r in
                let w = r.count, lo = r.lowerBound
                let acc = UnsafeMutablePointer<Double>.allocate(capacity: w)
                defer { acc.deallocate() }
                acc.initialize(repeating: 0, count: w)
                for i in 0..<outer { let row = x + i * c + lo; for j in 0..<w { acc[j] += Double(row[j]) } }
                for j in 0..<w { mean[lo + j] = Float(acc[j] / m); acc[j] = 0 }
                for i in 0..<outer {
                    let row = x + i * c + lo, mu = mean + lo
                    for j in 0..<w { let d = Double(row[j] - mu[j]); acc[j] += d * d }
                }
                for j in 0..<w { variance[lo + j] = Float(acc[j] / m) }
            }
            return
        }
        Threads.pool.parallelFor(c, grain: max(1, Kernels.grain / max(outer * inner, 1))) { r in
            for ch in r {
                var s = 0.0
                for i in 0..<outer { s += Double(FusedMath.sum(x + (i * c + ch) * inner, inner)) }
                let mu = Float(s / m)
                var q = 0.0
                for i in 0..<outer { q += Double(FusedMath.sumSquaredDeviation(x + (i * c + ch) * inner, inner, mu)) }
                mean[ch] = mu
                variance[ch] = Float(q / m)
            }
        }
    }

    /// Per channel: sg = Σ g and sgx = Σ g·(x − μ).
    @inline(never)
    static func channelGradSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ mean: UnsafePointer<Float>,
                                _ outer: Int, _ c: Int, _ inner: Int,
                                _ sg: UnsafeMutablePointer<Float>, _ sgx: UnsafeMutablePointer<Float>) {
        if inner == 1 {
            Threads.pool.parallelFor(c, grain: max(1, Kernels.grain / max(outer, 1))) { r in
                let w = r.count, lo = r.lowerBound
                let acc = UnsafeMutablePointer<Double>.allocate(capacity: 2 * w)
                defer { acc.deallocate() }
                acc.initialize(repeating: 0, count: 2 * w)
                let mu = mean + lo
                for i in 0..<outer {
                    let gr = g + i * c + lo, xr = x + i * c + lo
                    for j in 0..<w {
                        acc[j] += Double(gr[j])
                        acc[w + j] += Double(gr[j] * (xr[j] - mu[j]))
                    }
                }
                for j in 0..<w { sg[lo + j] = Float(acc[j]); sgx[lo + j] = Float(acc[w + j]) }
            }
            return
        }
        Threads.pool.parallelFor(c, grain: max(1, Kernels.grain / max(outer * inner, 1))) { r in
            for ch in r {
                var s = 0.0, t = 0.0
                for i in 0..<outer {
                    let o = (i * c + ch) * inner
                    let (a, b) = FusedMath.sumAndCenteredDot(g + o, x + o, mean[ch], inner)
                    s += Double(a); t += Double(b)
                }
                sg[ch] = Float(s); sgx[ch] = Float(t)
            }
        }
    }

    /// out = p·α[c] + q·β[c] + γ[c] per channel (q, β optional).
    @inline(never)
    static func channelCombine(_ p: UnsafePointer<Float>, _ alpha: UnsafePointer<Float>,
                               _ q: UnsafePointer<Float>?, _ beta: UnsafePointer<Float>?,
                               _ shift: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                               _ outer: Int, _ c: Int, _ inner: Int) {
        if inner == 1 {
            // [N, C]: sweep whole rows so the loop runs across channels.
            Threads.pool.parallelFor(outer, grain: max(1, Kernels.grain / max(c, 1))) { r in
                for i in r {
                    let src = p + i * c, dst = out + i * c
                    if let q, let beta {
                        let src2 = q + i * c
                        for j in 0..<c { dst[j] = src[j] * alpha[j] + src2[j] * beta[j] + shift[j] }
                    } else {
                        for j in 0..<c { dst[j] = src[j] * alpha[j] + shift[j] }
                    }
                }
            }
            return
        }
        Threads.pool.parallelFor(outer * c, grain: max(1, Kernels.grain / inner)) { r in
            for s in r {
                let ch = s % c, o = s * inner
                let a = alpha[ch], t = shift[ch]
                let src = p + o, dst = out + o
                if let q, let beta {
                    let b = beta[ch], src2 = q + o
                    for j in 0..<inner { dst[j] = src[j] * a + src2[j] * b + t }
                } else {
                    for j in 0..<inner { dst[j] = src[j] * a + t }
                }
            }
        }
    }

    /// Row statistics and y = (x − μ)·σ̂⁻¹·γ[c] + β[c].
    @inline(never)
    static func rowForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ rows: Int, _ len: Int,
                           _ groups: Int, _ cg: Int, _ inner: Int,
                           _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ eps: Float,
                           _ mean: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(rows, grain: max(1, Kernels.grain / max(len, 1))) { r in
            for row in r {
                let xr = x + row * len, yr = y + row * len
                let mu = FusedMath.sum(xr, len) / Float(len)
                let v = FusedMath.sumSquaredDeviation(xr, len, mu) / Float(len)
                let rs = 1 / (v + eps).squareRoot()
                mean[row] = mu; rstd[row] = rs
                let c0 = (row % groups) * cg
                if inner == 1 {
                    let wr = w + c0, br = b + c0
                    for j in 0..<len { yr[j] = (xr[j] - mu) * rs * wr[j] + br[j] }
                } else {
                    for q in 0..<cg {
                        let a = w[c0 + q] * rs, s = b[c0 + q] - mu * a
                        let xb = xr + q * inner, yb = yr + q * inner
                        for j in 0..<inner { yb[j] = xb[j] * a + s }
                    }
                }
            }
        }
    }

    /// dx per row: with h = g·γ, dx = σ̂⁻¹·(h − mean(h) − x̂·mean(h·x̂)).
    @inline(never)
    static func rowBackward(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                            _ rows: Int, _ len: Int, _ groups: Int, _ cg: Int, _ inner: Int,
                            _ w: UnsafePointer<Float>, _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>) {
        Threads.pool.parallelFor(rows, grain: max(1, Kernels.grain / max(len, 1))) { r in
            for row in r {
                let xr = x + row * len, gr = g + row * len, dr = dx + row * len
                let mu = mean[row], rs = rstd[row], c0 = (row % groups) * cg
                let inv = 1 / Float(len)
                if inner == 1 {
                    let wr = w + c0
                    let (s1, s2) = FusedMath.weightedSumAndCenteredDot(gr, wr, xr, mu, len)
                    let beta = -rs * rs * rs * s2 * inv, shift = -rs * s1 * inv
                    for j in 0..<len { dr[j] = gr[j] * wr[j] * rs + (xr[j] - mu) * beta + shift }
                } else {
                    var s1: Float = 0, s2: Float = 0
                    for q in 0..<cg {
                        let o = q * inner
                        let (a, b) = FusedMath.sumAndCenteredDot(gr + o, xr + o, mu, inner)
                        s1 += w[c0 + q] * a; s2 += w[c0 + q] * b
                    }
                    let beta = -rs * rs * rs * s2 * inv, shift = -rs * s1 * inv
                    for q in 0..<cg {
                        let o = q * inner, k = w[c0 + q] * rs
                        let gb = gr + o, xb = xr + o, db = dr + o
                        for j in 0..<inner { db[j] = gb[j] * k + (xb[j] - mu) * beta + shift }
                    }
                }
            }
        }
    }

    /// dγ[c] = Σ g·x̂ and dβ[c] = Σ g over every sample (and spatial position) of channel c.
    @inline(never)
    static func rowAffineGrad(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ samples: Int, _ groups: Int,
                              _ c: Int, _ inner: Int, _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                              _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>) {
        let cg = c / groups
        if inner == 1 && groups == 1 {
            // Layer norm: columns of a [rows, C] matrix, each row with its own μ, σ̂.
            Threads.pool.parallelFor(c, grain: max(1, Kernels.grain / max(samples, 1))) { r in
                let w = r.count, lo = r.lowerBound
                let acc = UnsafeMutablePointer<Double>.allocate(capacity: 2 * w)
                defer { acc.deallocate() }
                acc.initialize(repeating: 0, count: 2 * w)
                for i in 0..<samples {
                    let gr = g + i * c + lo, xr = x + i * c + lo, mu = mean[i], rs = rstd[i]
                    for j in 0..<w {
                        acc[j] += Double(gr[j] * (xr[j] - mu) * rs)
                        acc[w + j] += Double(gr[j])
                    }
                }
                for j in 0..<w { dw[lo + j] = Float(acc[j]); db[lo + j] = Float(acc[w + j]) }
            }
            return
        }
        Threads.pool.parallelFor(c, grain: max(1, Kernels.grain / max(samples * inner, 1))) { r in
            for ch in r {
                var s = 0.0, t = 0.0
                for i in 0..<samples {
                    let row = i * groups + ch / cg, o = (i * c + ch) * inner
                    let (a, b) = FusedMath.sumAndCenteredDot(g + o, x + o, mean[row], inner)
                    s += Double(b * rstd[row]); t += Double(a)
                }
                dw[ch] = Float(s); db[ch] = Float(t)
            }
        }
    }
}
