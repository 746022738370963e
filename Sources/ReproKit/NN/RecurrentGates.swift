/// The element-wise part of one GRU or LSTM step as one fused op each, forward and backward
/// side by side: a step is then two matrix products and one op instead of a dozen small
/// ones, which matters when a sequence is unrolled step by step under autograd.
///
/// Both take the two gate pre-activations separately, `gi` = x·W_ihᵀ + b_ih and
/// `gh` = h·W_hhᵀ + b_hh ([B, G·H], gates in PyTorch's order), and an optional `keep` [B]
/// (1 = this row takes the step, 0 = its state passes through unchanged: a sequence that
/// has already ended, as PyTorch's packed sequences behave).

/// GRU (Cho et al. 2014, PyTorch's form), gates r, z, n:
///   r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r ⊙ gh_n),
///   h' = (1 − z) ⊙ n + z ⊙ h.
/// Returns h' [B, H].
public func gruGates(gi: Tensor, gh: Tensor, h: Tensor, keep: Tensor? = nil) -> Tensor {
    let (b, hidden) = (h.shape[0], h.shape[1])
    precondition(h.rank == 2 && gi.shape == [b, 3 * hidden] && gh.shape == gi.shape,
                 "gruGates: gi \(gi.shape), gh \(gh.shape), h \(h.shape) do not fit [B, 3H], [B, 3H], [B, H]")
    precondition(keep.map { $0.count == b } ?? true, "gruGates: keep needs \(b) entries")
    let out = Tensor(uninitializedShape: [b, hidden])
    RecurrentKernels.gru(gi.data, gh.data, h.data, keep?.data, out.data, nil, nil, nil, b, hidden)
    return out.recordingGrad(inputs: [gi, gh, h]) { g in
        let dgi = Tensor(uninitializedShape: gi.shape), dgh = Tensor(uninitializedShape: gh.shape)
        let dh = Tensor(uninitializedShape: h.shape)
        RecurrentKernels.gru(gi.data, gh.data, h.data, keep?.data, nil, g.data, dgi.data, dgh.data, b, hidden,
                             dh: dh.data)
        gi.accumulateGrad(dgi)
        gh.accumulateGrad(dgh)
        h.accumulateGrad(dh)
    }
}

/// LSTM (Hochreiter & Schmidhuber 1997, PyTorch's form), gates i, f, g, o:
///   i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o) with a = gi + gh,
///   c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
/// Returns h' and c' stacked: [2, B, H] (slices along axis 0 are views).
public func lstmGates(gi: Tensor, gh: Tensor, h: Tensor, c: Tensor, keep: Tensor? = nil) -> Tensor {
    let (b, hidden) = (c.shape[0], c.shape[1])
    precondition(c.rank == 2 && h.shape == c.shape && gi.shape == [b, 4 * hidden] && gh.shape == gi.shape,
                 "lstmGates: gi \(gi.shape), gh \(gh.shape), h \(h.shape), c \(c.shape) do not fit [B, 4H], [B, 4H], [B, H], [B, H]")
    precondition(keep.map { $0.count == b } ?? true, "lstmGates: keep needs \(b) entries")
    let out = Tensor(uninitializedShape: [2, b, hidden])
    RecurrentKernels.lstm(gi.data, gh.data, h.data, c.data, keep?.data, out.data, nil, nil, nil, nil, b, hidden)
    // h is read only for rows that do not step.
    return out.recordingGrad(inputs: keep == nil ? [gi, gh, c] : [gi, gh, h, c]) { g in
        let dgi = Tensor(uninitializedShape: gi.shape), dgh = Tensor(uninitializedShape: gh.shape)
        let dh = Tensor(uninitializedShape: h.shape), dc = Tensor(uninitializedShape: c.shape)
        RecurrentKernels.lstm(gi.data, gh.data, h.data, c.data, keep?.data, nil, g.data, dgi.data, dgh.data,
                              dh.data, b, hidden, dc: dc.data)
        gi.accumulateGrad(dgi)
        gh.accumulateGrad(dgh)
        if keep != nil { h.accumulateGrad(dh) }
        c.accumulateGrad(dc)
    }
}

/// The gate loops: forward when `dout` is nil (writes `out`), backward otherwise (recomputes
/// the gates from the inputs, which is cheaper than storing them, and writes the gradients).
enum RecurrentKernels {
    @inline(never)
    static func gru(_ gi: UnsafePointer<Float>, _ gh: UnsafePointer<Float>, _ h: UnsafePointer<Float>,
                    _ keep: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?,
                    _ dout: UnsafePointer<Float>?, _ dgi: UnsafeMutablePointer<Float>?,
                    _ dgh: UnsafeMutablePointer<Float>?, _ batch: Int, _ hid: Int,
                    dh: UnsafeMutablePointer<Float>? = nil) {
        Threads.pool.parallelFor(batch, grain: Swift.max(1, 4096 / Swift.max(hid, 1))) { rows in
            for row in rows {
                let a = gi + row * 3 * hid, u = gh + row * 3 * hid, hp = h + row * hid
                let stepping = keep.map { $0[row] != 0 } ?? true
                if let dout, let dgi, let dgh, let dh {
                    let go = dout + row * hid, da = dgi + row * 3 * hid, du = dgh + row * 3 * hid
                    let dhp = dh + row * hid
                    guard stepping else {
                        for j in 0..<(3 * hid) { da[j] = 0; du[j] = 0 }
                        for j in 0..<hid { dhp[j] = go[j] }
                        continue
                    }
                    for j in 0..<hid {
                        let r = FastMath.sigmoid(a[j] + u[j])
                        let z = FastMath.sigmoid(a[hid + j] + u[hid + j])
                        let n = FastMath.tanh(a[2 * hid + j] + r * u[2 * hid + j])
                        let g = go[j]
                        // h' = n + z(h − n): ∂/∂n = 1 − z, ∂/∂z = h − n, ∂/∂h = z.
                        let dn = g * (1 - z) * (1 - n * n)
                        let dz = g * (hp[j] - n) * z * (1 - z)
                        let dr = dn * u[2 * hid + j] * r * (1 - r)
                        da[j] = dr; du[j] = dr
                        da[hid + j] = dz; du[hid + j] = dz
                        da[2 * hid + j] = dn; du[2 * hid + j] = dn * r
                        dhp[j] = g * z
                    }
                } else if let out {
                    let o = out + row * hid
                    guard stepping else { o.update(from: hp, count: hid); continue }
                    for j in 0..<hid {
                        let r = FastMath.sigmoid(a[j] + u[j])
                        let z = FastMath.sigmoid(a[hid + j] + u[hid + j])
                        let n = FastMath.tanh(a[2 * hid + j] + r * u[2 * hid + j])
                        o[j] = n + z * (hp[j] - n)
                    }
                }
            }
        }
    }

    /// `out` / `dout` are [2, B, H]: h' then c'.
    @inline(never)
    static func lstm(_ gi: UnsafePointer<Float>, _ gh: UnsafePointer<Float>, _ h: UnsafePointer<Float>,
                     _ c: UnsafePointer<Float>, _ keep: UnsafePointer<Float>?,
                     _ out: UnsafeMutablePointer<Float>?, _ dout: UnsafePointer<Float>?,
                     _ dgi: UnsafeMutablePointer<Float>?, _ dgh: UnsafeMutablePointer<Float>?,
                     _ dh: UnsafeMutablePointer<Float>?, _ batch: Int, _ hid: Int,
                     dc: UnsafeMutablePointer<Float>? = nil) {
        let plane = batch * hid
        Threads.pool.parallelFor(batch, grain: Swift.max(1, 4096 / Swift.max(hid, 1))) { rows in
            for row in rows {
                let a = gi + row * 4 * hid, u = gh + row * 4 * hid
                let hp = h + row * hid, cp = c + row * hid
                let stepping = keep.map { $0[row] != 0 } ?? true
                if let dout, let dgi, let dgh, let dh, let dc {
                    let gH = dout + row * hid, gC = dout + plane + row * hid
                    let da = dgi + row * 4 * hid, du = dgh + row * 4 * hid
                    let dhp = dh + row * hid, dcp = dc + row * hid
                    guard stepping else {
                        for j in 0..<(4 * hid) { da[j] = 0; du[j] = 0 }
                        for j in 0..<hid { dhp[j] = gH[j]; dcp[j] = gC[j] }
                        continue
                    }
                    for j in 0..<hid {
                        let i = FastMath.sigmoid(a[j] + u[j])
                        let f = FastMath.sigmoid(a[hid + j] + u[hid + j])
                        let g = FastMath.tanh(a[2 * hid + j] + u[2 * hid + j])
                        let o = FastMath.sigmoid(a[3 * hid + j] + u[3 * hid + j])
                        let c1 = f * cp[j] + i * g
                        let tc = FastMath.tanh(c1)
                        // Total gradient reaching c': directly, and through h' = o·tanh(c').
                        let gc = gC[j] + gH[j] * o * (1 - tc * tc)
                        let di = gc * g * i * (1 - i)
                        let df = gc * cp[j] * f * (1 - f)
                        let dg = gc * i * (1 - g * g)
                        let dO = gH[j] * tc * o * (1 - o)
                        da[j] = di; da[hid + j] = df; da[2 * hid + j] = dg; da[3 * hid + j] = dO
                        du[j] = di; du[hid + j] = df; du[2 * hid + j] = dg; du[3 * hid + j] = dO
                        dcp[j] = gc * f
                        dhp[j] = 0
                    }
                } else if let out {
                    let oh = out + row * hid, oc = out + plane + row * hid
                    guard stepping else {
                        oh.update(from: hp, count: hid); oc.update(from: cp, count: hid); continue
                    }
                    for j in 0..<hid {
                        let i = FastMath.sigmoid(a[j] + u[j])
                        let f = FastMath.sigmoid(a[hid + j] + u[hid + j])
                        let g = FastMath.tanh(a[2 * hid + j] + u[2 * hid + j])
                        let o = FastMath.sigmoid(a[3 * hid + j] + u[3 * hid + j])
                        let c1 = f * cp[j] + i * g
                        oc[j] = c1
                        oh[j] = o * FastMath.tanh(c1)
                    }
                }
            }
        }
    }
}
