/// softmax and log-softmax along any axis, numerically stable, with their gradients.
///
/// Masking convention: positions filled with −∞ (see `maskedFill`) get probability 0 and
/// gradient 0. A row whose every entry is −∞ ("fully masked") gives softmax 0 everywhere
/// and log-softmax −∞ everywhere instead of PyTorch's NaN, and its backward is finite:
/// softmax passes 0, log-softmax passes g unchanged (= g − eʸ·Σg with eʸ = 0); the
/// `maskedFill` that made the −∞ then zeroes it.

enum SoftmaxKernels {
    /// Columns processed together when the axis is not the last one (scratch on the stack).
    static let block = 256

    // Float reductions do not vectorise by themselves (LLVM keeps the order of the sums), so
    // these keep 16 partial results in two SIMD registers.

    @inline(never)
    static func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity, i = 0
        if n >= 16 {
            var v0 = SIMD8<Float>(repeating: -.infinity), v1 = v0
            let raw = UnsafeRawPointer(p)
            while i + 16 <= n {
                let a = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let b = raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
                v0.replace(with: a, where: a .> v0)
                v1.replace(with: b, where: b .> v1)
                i += 16
            }
            v0.replace(with: v1, where: v1 .> v0)
            m = v0.max()
        }
        while i < n { if p[i] > m { m = p[i] }; i += 1 }
        return m
    }

    @inline(never)
    static func rowSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0, i = 0
        if n >= 16 {
            var v0 = SIMD8<Float>(repeating: 0), v1 = v0
            let raw = UnsafeRawPointer(p)
            while i + 16 <= n {
                v0 += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                v1 += raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
                i += 16
            }
            s = (v0 + v1).sum()
        }
        while i < n { s += p[i]; i += 1 }
        return s
    }

    @inline(never)
    static func rowDot(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0, i = 0
        if n >= 16 {
            var v0 = SIMD8<Float>(repeating: 0), v1 = v0
            let rp = UnsafeRawPointer(p), rq = UnsafeRawPointer(q)
            while i + 16 <= n {
                v0 += rp.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    * rq.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                v1 += rp.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
                    * rq.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
                i += 16
            }
            s = (v0 + v1).sum()
        }
        while i < n { s += p[i] * q[i]; i += 1 }
        return s
    }

    /// One row along the last axis. Three passes (max; exp; scale) so that each is a plain
    /// vector loop: a loop that also sums would not vectorise its exp.
    @inline(never)
    static func forwardRow(_ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int, log: Bool) {
        var m = rowMax(x, n)
        if m == -.infinity { m = 0 }   // fully masked: exp(−∞ − 0) = 0, no −∞ − (−∞) = NaN
        for i in 0..<n { o[i] = FastMath.exp(x[i] - m) }
        let s = rowSum(o, n)
        if log {
            // (x − m) − ln s, not x − (m + ln s): m + ln s would round to m's ulp when |m| is
            // large. Fully masked (s = 0): −∞ − 0 = −∞.
            let ls = s > 0 ? FastMath.log(s) : 0
            for i in 0..<n { o[i] = (x[i] - m) - ls }
        } else {
            let inv: Float = s > 0 ? 1 / s : 0
            for i in 0..<n { o[i] *= inv }
        }
    }

    /// softmax: gx = y ⊙ (g − Σ g·y).  log-softmax: gx = g − eʸ · Σ g.
    @inline(never)
    static func backwardRow(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                            _ o: UnsafeMutablePointer<Float>, _ n: Int, log: Bool) {
        if log {
            let s = rowSum(g, n)
            for i in 0..<n { o[i] = g[i] - FastMath.exp(y[i]) * s }
        } else {
            let d = rowDot(g, y, n)
            for i in 0..<n { o[i] = y[i] * (g[i] - d) }
        }
    }

    /// `len` columns at stride `inner` over the n positions of the axis; the reductions run
    /// across rows, element-wise over the columns, so they vectorise without tricks.
    @inline(never)
    static func forwardColumns(_ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>,
                               _ n: Int, _ inner: Int, _ len: Int,
                               _ m: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>, log: Bool) {
        for j in 0..<len { m[j] = x[j] }
        for k in 1..<n {
            let r = x + k * inner
            for j in 0..<len { m[j] = r[j] > m[j] ? r[j] : m[j] }
        }
        for j in 0..<len { m[j] = m[j] == -.infinity ? 0 : m[j]; s[j] = 0 }
        for k in 0..<n {
            let r = x + k * inner, w = o + k * inner
            for j in 0..<len { let e = FastMath.exp(r[j] - m[j]); w[j] = e; s[j] += e }
        }
        if log {
            for j in 0..<len { s[j] = s[j] > 0 ? FastMath.log(s[j]) : 0 }
            for k in 0..<n {
                let r = x + k * inner, w = o + k * inner
                for j in 0..<len { w[j] = (r[j] - m[j]) - s[j] }
            }
        } else {
            for j in 0..<len { s[j] = s[j] > 0 ? 1 / s[j] : 0 }
            for k in 0..<n {
                let w = o + k * inner
                for j in 0..<len { w[j] *= s[j] }
            }
        }
    }

    @inline(never)
    static func backwardColumns(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                _ o: UnsafeMutablePointer<Float>, _ n: Int, _ inner: Int, _ len: Int,
                                _ s: UnsafeMutablePointer<Float>, log: Bool) {
        for j in 0..<len { s[j] = 0 }
        for k in 0..<n {
            let gr = g + k * inner, yr = y + k * inner
            if log { for j in 0..<len { s[j] += gr[j] } } else { for j in 0..<len { s[j] += gr[j] * yr[j] } }
        }
        for k in 0..<n {
            let gr = g + k * inner, yr = y + k * inner, w = o + k * inner
            if log {
                for j in 0..<len { w[j] = gr[j] - FastMath.exp(yr[j]) * s[j] }
            } else {
                for j in 0..<len { w[j] = yr[j] * (gr[j] - s[j]) }
            }
        }
    }

    /// Runs over a tensor seen as [outer, n, inner] along the axis: rows when inner is 1,
    /// column blocks otherwise. `backward` selects the gradient kernels (a = y, b = g).
    static func run(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, _ o: UnsafeMutablePointer<Float>,
                    outer: Int, n: Int, inner: Int, log: Bool) {
        guard outer * n * inner > 0 else { return }
        if inner == 1 {
            Threads.pool.parallelFor(outer, grain: max(1, Kernels.grain / 4 / n)) { r in
                for row in r {
                    let off = row * n
                    if let b { backwardRow(a + off, b + off, o + off, n, log: log) }
                    else { forwardRow(a + off, o + off, n, log: log) }
                }
            }
            return
        }
        let blocks = (inner + block - 1) / block
        Threads.pool.parallelFor(outer * blocks, grain: max(1, Kernels.grain / 4 / (n * min(inner, block)))) { r in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * block) { scratch in
                let m = scratch.baseAddress!, s = m + block
                for item in r {
                    let ob = item / blocks, j0 = (item % blocks) * block
                    let len = min(block, inner - j0), off = ob * n * inner + j0
                    if let b { backwardColumns(a + off, b + off, o + off, n, inner, len, s, log: log) }
                    else { forwardColumns(a + off, o + off, n, inner, len, m, s, log: log) }
                }
            }
        }
    }
}

extension Tensor {
    private func softmaxFamily(axis: Int, log: Bool) -> Tensor {
        let (outer, n, inner) = splitAround(self.axis(axis))
        let out = Tensor(uninitializedShape: shape)
        SoftmaxKernels.run(data, nil, out.data, outer: outer, n: n, inner: inner, log: log)
        let y = out.detached()
        return out.recordingGrad(inputs: [self]) { g in
            let gx = Tensor(uninitializedShape: self.shape)
            SoftmaxKernels.run(y.data, g.data, gx.data, outer: outer, n: n, inner: inner, log: log)
            self.accumulateGrad(gx)
        }
    }

    /// softmax along `axis`: exp(x − max) / Σ exp(x − max). −∞ entries get probability 0 and
    /// gradient 0; a row that is all −∞ gives zeros (not NaN) and a zero gradient.
    public func softmax(axis: Int = -1) -> Tensor { softmaxFamily(axis: axis, log: false) }

    /// log-softmax along `axis`: x − max − ln Σ exp(x − max). A row that is all −∞ gives −∞
    /// and passes its gradient through unchanged (no NaN).
    public func logSoftmax(axis: Int = -1) -> Tensor { softmaxFamily(axis: axis, log: true) }
}
