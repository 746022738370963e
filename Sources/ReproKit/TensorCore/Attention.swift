/// Scaled dot-product attention (Vaswani et al., 2017), fused:
///   S = Q·Kᵀ/√d (+ masking), P = softmax(S) row-wise, O = P·V.
/// Backward with the same shapes of products:
///   dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS·K/√d, dK = dSᵀ·Q/√d.
/// (Bahdanau's additive attention is built from ordinary ops in NN, not here.)

/// Attention of `query` [B, H, Tq, d] over `key` [B, H, Tk, d] and `value` [B, H, Tk, dv];
/// returns the output [B, H, Tq, dv] and, when `returnWeights`, the attention probabilities
/// P [B, H, Tq, Tk] (a detached copy, before dropout: for drawing, not for training).
///
/// `mask` broadcasts to [B, H, Tq, Tk] (e.g. a key padding mask [B, 1, 1, Tk] or [Tq, Tk]);
/// non-zero = attend, 0 = masked out. `causal` masks keys after the query position
/// (key j > query i, aligned top-left as PyTorch's `is_causal`). A query row with every key
/// masked gets zero weights and a zero output (PyTorch gives NaN).
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                      causal: Bool = false,
                                      returnWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
    attention(query, key, value, mask, causal, drop: nil, returnWeights)
}

/// Attention with dropout `p` on the attention probabilities (inverted: kept weights scale by
/// 1/(1 − p)), its mask drawn from `rng` (which advances by B·H·Tq·Tk). Pass p = 0 (or call
/// the overload without dropout) in evaluation.
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                      causal: Bool = false, dropout p: Float, rng: inout RNG,
                                      returnWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
    precondition(p >= 0 && p < 1, "scaledDotProductAttention: dropout must lie in [0, 1), got \(p)")
    guard p > 0 else { return attention(query, key, value, mask, causal, drop: nil, returnWeights) }
    let n = query.shape.count == 4 ? query.shape[0] * query.shape[1] * query.shape[2] * key.shape[2] : 0
    let drop = (key: rng.key, first: rng.counter, p: p)
    rng.counter &+= UInt64(n)
    return attention(query, key, value, mask, causal, drop: drop, returnWeights)
}

private func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ mask: Tensor?, _ causal: Bool,
                       drop: (key: UInt64, first: UInt64, p: Float)?,
                       _ returnWeights: Bool) -> (output: Tensor, weights: Tensor?) {
    precondition(q.rank == 4 && k.rank == 4 && v.rank == 4,
                 "scaledDotProductAttention: query, key, value need shape [B, H, T, d], got \(q.shape), \(k.shape), \(v.shape)")
    let (b, h, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let tk = k.shape[2], dv = v.shape[3]
    precondition(k.shape == [b, h, tk, d] && v.shape == [b, h, tk, dv],
                 "scaledDotProductAttention: query \(q.shape), key \(k.shape), value \(v.shape) do not fit [B, H, Tq, d], [B, H, Tk, d], [B, H, Tk, dv]")
    var geometry = AttentionGeometry(bh: b * h, heads: h, tq: tq, tk: tk, d: d, dv: dv,
                                     scale: 1 / Float(d).squareRoot(), causal: causal)
    if let mask { geometry.setMask(mask.shape, batch: b) }
    let g = geometry
    let maskData = mask.map { UnsafePointer($0.data) }
    let probs = Tensor(uninitializedShape: [b, h, tq, tk])
    let out = Tensor(uninitializedShape: [b, h, tq, dv])
    var dropped = probs
    if drop != nil { dropped = Tensor(uninitializedShape: probs.shape) }
    AttentionKernels.forward(g, q.data, k.data, v.data, maskData, probs.data, drop, dropped.data, out.data)
    let weights = returnWeights ? probs.copy() : nil
    let result = out.recordingGrad(inputs: [q, k, v]) { grad in
        let dq = q.tracksGrad ? Tensor(uninitializedShape: q.shape) : nil
        let dk = k.tracksGrad ? Tensor(uninitializedShape: k.shape) : nil
        let dvT = v.tracksGrad ? Tensor(uninitializedShape: v.shape) : nil
        let scratch = Tensor(uninitializedShape: probs.shape)
        AttentionKernels.backward(g, grad.data, q.data, k.data, v.data, probs.data, drop, dropped.data,
                                  scratch.data, dq?.data, dk?.data, dvT?.data)
        if let dq { q.accumulateGrad(dq) }
        if let dk { k.accumulateGrad(dk) }
        if let dvT { v.accumulateGrad(dvT) }
    }
    return (result, weights)
}

/// Sizes of one attention call and how the mask is laid out against [B, H, Tq, Tk].
struct AttentionGeometry {
    let bh: Int, heads: Int, tq: Int, tk: Int, d: Int, dv: Int
    let scale: Float
    let causal: Bool
    /// Mask strides along B, H, Tq, Tk (0 where the mask is broadcast).
    var maskStrides = (0, 0, 0, 0)

    init(bh: Int, heads: Int, tq: Int, tk: Int, d: Int, dv: Int, scale: Float, causal: Bool) {
        self.bh = bh; self.heads = heads; self.tq = tq; self.tk = tk; self.d = d; self.dv = dv
        self.scale = scale; self.causal = causal
    }

    mutating func setMask(_ shape: [Int], batch: Int) {
        let target = [batch, heads, tq, tk]
        precondition(shape.count <= 4, "scaledDotProductAttention: mask \(shape) has more than 4 axes")
        let padded = [Int](repeating: 1, count: 4 - shape.count) + shape
        for i in 0..<4 {
            precondition(padded[i] == 1 || padded[i] == target[i],
                         "scaledDotProductAttention: mask \(shape) does not broadcast to \(target)")
        }
        let s = Tensor.strides(padded).enumerated().map { padded[$0.offset] == 1 ? 0 : $0.element }
        maskStrides = (s[0], s[1], s[2], s[3])
    }
}

/// The attention loops. Two strategies, chosen by size (see `useBLAS`): one sgemm per
/// (batch, head) in a serial loop with the row softmax spread over the thread pool; or, for
/// small heads, everything for one (batch, head) inside parallelFor with our own small
/// products (sgemm must not run inside parallelFor).
enum AttentionKernels {
    typealias Drop = (key: UInt64, first: UInt64, p: Float)

    /// sgemm (AVX-512 OpenBLAS, one core: these products are below its threading size) beats
    /// our SSE loops per core by ~1.2-1.5×, but our loops use both cores. Measured best of 55
    /// on the 2-core target, forward / backward: B32 H4 T32 d32 (a d128 Transformer) sgemm
    /// 1.34 / 1.62 ms, own loops 0.84 / 1.19 ms; B32 H3 T64 d64 (ViT-tiny) sgemm 5.6 / 8.5 ms,
    /// own loops 9.7 / 14.6 ms. So: own loops for heads smaller than 64³ multiply-adds when
    /// there are enough heads to share between threads, sgemm otherwise.
    static func useBLAS(_ g: AttentionGeometry) -> Bool {
        let threads = Threads.count
        return threads == 1 || g.bh < 2 * threads || g.tq * g.tk * max(g.d, g.dv) >= 64 * 64 * 64
    }

    static func forward(_ g: AttentionGeometry, _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>,
                        _ v: UnsafePointer<Float>, _ mask: UnsafePointer<Float>?,
                        _ probs: UnsafeMutablePointer<Float>, _ drop: Drop?,
                        _ dropped: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let (tq, tk, d, dv) = (g.tq, g.tk, g.d, g.dv)
        let sq = tq * d, sk = tk * d, sv = tk * dv, sp = tq * tk, so = tq * dv
        if useBLAS(g) {
            for i in 0..<g.bh {
                BLAS.gemm(transA: false, transB: true, m: tq, n: tk, k: d, alpha: g.scale,
                          a: q + i * sq, lda: d, b: k + i * sk, ldb: d, c: probs + i * sp, ldc: tk)
            }
            Threads.pool.parallelFor(g.bh * tq, grain: max(1, 4096 / max(tk, 1))) { r in
                softmaxRows(g, probs, mask, r)
            }
            if let drop {
                DropoutMask.apply(probs, dropped, g.bh * sp, key: drop.key, first: drop.first, p: drop.p)
            }
            for i in 0..<g.bh {
                BLAS.gemm(transA: false, transB: false, m: tq, n: dv, k: tk,
                          a: dropped + i * sp, lda: tk, b: v + i * sv, ldb: dv, c: out + i * so, ldc: dv)
            }
            return
        }
        Threads.pool.parallelFor(g.bh, grain: 1) { r in
            let t = UnsafeMutablePointer<Float>.allocate(capacity: tk * d)
            defer { t.deallocate() }
            for i in r {
                let p = probs + i * sp
                SmallGemm.nt(tq, tk, d, g.scale, q + i * sq, k + i * sk, p, t)
                softmaxRows(g, probs, mask, (i * tq)..<((i + 1) * tq))
                var pv = UnsafePointer(p)
                if let drop {
                    DropoutMask.apply(p, dropped + i * sp, sp, key: drop.key,
                                      first: drop.first &+ UInt64(i * sp), p: drop.p)
                    pv = UnsafePointer(dropped + i * sp)
                }
                SmallGemm.nn(tq, dv, tk, 1, pv, v + i * sv, out + i * so)
            }
        }
    }

    /// `scratch` [B, H, Tq, Tk] receives dP, then dS in place.
    static func backward(_ g: AttentionGeometry, _ dout: UnsafePointer<Float>, _ q: UnsafePointer<Float>,
                         _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                         _ probs: UnsafePointer<Float>, _ drop: Drop?, _ dropped: UnsafePointer<Float>,
                         _ scratch: UnsafeMutablePointer<Float>, _ dq: UnsafeMutablePointer<Float>?,
                         _ dk: UnsafeMutablePointer<Float>?, _ dvOut: UnsafeMutablePointer<Float>?) {
        let (tq, tk, d, dv) = (g.tq, g.tk, g.d, g.dv)
        let sq = tq * d, sk = tk * d, sv = tk * dv, sp = tq * tk, so = tq * dv
        let needS = dq != nil || dk != nil
        if useBLAS(g) {
            if let dvOut {
                for i in 0..<g.bh {   // dV = P̃ᵀ·dO (P̃: after dropout)
                    BLAS.gemm(transA: true, transB: false, m: tk, n: dv, k: tq, a: dropped + i * sp, lda: tk,
                              b: dout + i * so, ldb: dv, c: dvOut + i * sv, ldc: dv)
                }
            }
            guard needS else { return }
            for i in 0..<g.bh {       // dP̃ = dO·Vᵀ
                BLAS.gemm(transA: false, transB: true, m: tq, n: tk, k: dv, a: dout + i * so, lda: dv,
                          b: v + i * sv, ldb: dv, c: scratch + i * sp, ldc: tk)
            }
            Threads.pool.parallelFor(g.bh * tq, grain: max(1, 4096 / max(tk, 1))) { r in
                if let drop {
                    let o = r.lowerBound * tk
                    DropoutMask.apply(scratch + o, scratch + o, r.count * tk, key: drop.key,
                                      first: drop.first &+ UInt64(o), p: drop.p)
                }
                softmaxBackwardRows(probs, scratch, tk, r)
            }
            for i in 0..<g.bh {
                if let dq {           // dQ = dS·K/√d
                    BLAS.gemm(transA: false, transB: false, m: tq, n: d, k: tk, alpha: g.scale,
                              a: scratch + i * sp, lda: tk, b: k + i * sk, ldb: d, c: dq + i * sq, ldc: d)
                }
                if let dk {           // dK = dSᵀ·Q/√d
                    BLAS.gemm(transA: true, transB: false, m: tk, n: d, k: tq, alpha: g.scale,
                              a: scratch + i * sp, lda: tk, b: q + i * sq, ldb: d, c: dk + i * sk, ldc: d)
                }
            }
            return
        }
        Threads.pool.parallelFor(g.bh, grain: 1) { r in
            let t = UnsafeMutablePointer<Float>.allocate(capacity: tk * dv)
            defer { t.deallocate() }
            for i in r {
                let pd = dropped + i * sp, s = scratch + i * sp, go = dout + i * so
                if let dvOut { SmallGemm.tn(tk, dv, tq, 1, pd, go, dvOut + i * sv) }
                guard needS else { continue }
                SmallGemm.nt(tq, tk, dv, 1, go, v + i * sv, s, t)
                if let drop {
                    DropoutMask.apply(s, s, sp, key: drop.key, first: drop.first &+ UInt64(i * sp), p: drop.p)
                }
                softmaxBackwardRows(probs, scratch, tk, (i * tq)..<((i + 1) * tq))
                if let dq { SmallGemm.nn(tq, d, tk, g.scale, s, k + i * sk, dq + i * sq) }
                if let dk { SmallGemm.tn(tk, d, tq, g.scale, s, q + i * sq, dk + i * sk) }
            }
        }
    }

    /// Masks then soft-maxes rows `rows` (global row = (batch·H + head)·Tq + query) in place.
    @inline(never)
    static func softmaxRows(_ g: AttentionGeometry, _ s: UnsafeMutablePointer<Float>,
                            _ mask: UnsafePointer<Float>?, _ rows: Range<Int>) {
        let tk = g.tk
        let (mb, mh, mq, mk) = g.maskStrides
        for row in rows {
            let sr = s + row * tk
            let bh = row / g.tq, i = row % g.tq
            if let mask {
                let mr = mask + (bh / g.heads) * mb + (bh % g.heads) * mh + i * mq
                if mk == 0 {
                    if mr[0] == 0 { for j in 0..<tk { sr[j] = -.infinity } }
                } else {
                    for j in 0..<tk { sr[j] = mr[j] != 0 ? sr[j] : -.infinity }
                }
            }
            if g.causal && i + 1 < tk { for j in (i + 1)..<tk { sr[j] = -.infinity } }
            let mx = FusedMath.max(sr, tk)
            if mx == -.infinity {       // every key masked: zero weights, not NaN
                for j in 0..<tk { sr[j] = 0 }
                continue
            }
            let inv = 1 / FusedMath.expShifted(sr, sr, tk, mx)
            for j in 0..<tk { sr[j] *= inv }
        }
    }

    /// dS = P ⊙ (dP − rowsum(dP ⊙ P)), in place over dP, rows `rows`.
    @inline(never)
    static func softmaxBackwardRows(_ p: UnsafePointer<Float>, _ dp: UnsafeMutablePointer<Float>,
                                    _ tk: Int, _ rows: Range<Int>) {
        for row in rows {
            let pr = p + row * tk, dr = dp + row * tk
            let c = FusedMath.dot(pr, dr, tk)
            for j in 0..<tk { dr[j] = pr[j] * (dr[j] - c) }
        }
    }
}

/// Single-threaded products for small matrices (one attention head), row-major: a 4×8
/// register-blocked kernel over SIMD8 accumulators.
enum SmallGemm {
    /// C[m, n] = α·A[m, k]·B[k, n]
    static func nn(_ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
                   _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        kernel(m, n, k, alpha, a, k, 1, b, c)
    }

    /// C[m, n] = α·A[k, m]ᵀ·B[k, n]
    static func tn(_ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
                   _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        kernel(m, n, k, alpha, a, 1, m, b, c)
    }

    /// C[m, n] = α·A[m, k]·B[n, k]ᵀ, through Bᵀ copied into `scratch` (k·n floats).
    static func nt(_ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
                   _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                   _ scratch: UnsafeMutablePointer<Float>) {
        transpose(b, n, k, scratch)
        kernel(m, n, k, alpha, a, k, 1, scratch, c)
    }

    @inline(never)
    static func transpose(_ src: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ dst: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { for c in 0..<cols { dst[c * rows + r] = src[r * cols + c] } }
    }

    @inline(__always) static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// C[m, n] = α·Â·B with B [k, n] row-major and Â(i, p) = a[i·rs + p·cs] (A or Aᵀ).
    @inline(never)
    static func kernel(_ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
                       _ rs: Int, _ cs: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        let n8 = n & ~7
        var i = 0
        while i < m {
            let rows = Swift.min(4, m - i)
            var j = 0
            while j < n8 {
                if rows == 4 {
                    var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0
                    for p in 0..<k {
                        let bv = FusedMath.load(b + p * n + j)
                        let ap = a + i * rs + p * cs
                        c0 += ap[0] * bv
                        c1 += ap[rs] * bv
                        c2 += ap[2 * rs] * bv
                        c3 += ap[3 * rs] * bv
                    }
                    let cp = c + i * n + j
                    store(alpha * c0, cp); store(alpha * c1, cp + n)
                    store(alpha * c2, cp + 2 * n); store(alpha * c3, cp + 3 * n)
                } else {
                    for r in 0..<rows {
                        var acc = SIMD8<Float>()
                        for p in 0..<k { acc += a[(i + r) * rs + p * cs] * FusedMath.load(b + p * n + j) }
                        store(alpha * acc, c + (i + r) * n + j)
                    }
                }
                j += 8
            }
            if n8 < n {
                for r in 0..<rows {
                    for jj in n8..<n {
                        var s: Float = 0
                        for p in 0..<k { s += a[(i + r) * rs + p * cs] * b[p * n + jj] }
                        c[(i + r) * n + jj] = alpha * s
                    }
                }
            }
            i += rows
        }
    }
}
