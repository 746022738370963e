/// max / min / argmax along an axis, and variance.

enum ExtremumKernels {
    /// The extreme value and its first index along the middle axis of [outer, n, inner].
    /// Ties go to the first index; a NaN wins over numbers (and the first NaN stays), as
    /// PyTorch propagates NaN through max.
    @inline(never)
    static func run(_ x: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                    _ idx: UnsafeMutablePointer<Int32>, outer: Int, n: Int, inner: Int, isMin: Bool) {
        let grain = max(1, Kernels.grain / max(n * inner, 1))
        Threads.pool.parallelFor(outer, grain: grain) { r in
            for o in r {
                let src = x + o * n * inner, bv = v + o * inner, bi = idx + o * inner
                if inner == 1 {
                    row(src, bv, bi, n, sign: isMin ? -1 : 1)
                } else if isMin {
                    column(src, bv, bi, n, inner, sign: -1)
                } else {
                    column(src, bv, bi, n, inner, sign: 1)
                }
            }
        }
    }

    /// One contiguous row (the last axis): a plain scan whose rare taken branch predicts well.
    @inline(never)
    static func row(_ src: UnsafePointer<Float>, _ bv: UnsafeMutablePointer<Float>,
                    _ bi: UnsafeMutablePointer<Int32>, _ n: Int, sign: Float) {
        var best = sign * src[0], at = 0
        for k in 1..<max(n, 1) {
            let c = sign * src[k]
            if c > best || (c != c && best == best) { best = c; at = k }
        }
        bv[0] = sign * best
        bi[0] = Int32(truncatingIfNeeded: at)
    }

    /// Columns along a middle axis, element-wise over `inner`. Compares sign·x so one loop
    /// serves max (sign 1) and min (sign −1); values are written back unsigned.
    @inline(__always)
    static func column(_ src: UnsafePointer<Float>, _ bv: UnsafeMutablePointer<Float>,
                       _ bi: UnsafeMutablePointer<Int32>, _ n: Int, _ inner: Int, sign: Float) {
        for j in 0..<inner { bv[j] = sign * src[j]; bi[j] = 0 }
        for k in 1..<max(n, 1) {
            let row = src + k * inner, kk = Int32(truncatingIfNeeded: k)
            for j in 0..<inner {
                let c = sign * row[j], b = bv[j]
                let take = c > b || (c != c && b == b)
                bv[j] = take ? c : b
                bi[j] = take ? kk : bi[j]
            }
        }
        if sign < 0 { for j in 0..<inner { bv[j] = -bv[j] } }
    }
}

extension Tensor {
    /// Values and flat argument indices ([outer·inner], row-major) along `ax`.
    private func extremum(_ ax: Int, isMin: Bool) -> (Tensor, [Int32]) {
        let (outer, n, inner) = splitAround(ax)
        precondition(n > 0, "max/min along an empty axis of shape \(shape)")
        var outShape = shape
        outShape.remove(at: ax)
        let values = Tensor(uninitializedShape: outShape)
        let idx = [Int32](unsafeUninitializedCapacity: outer * inner) { buf, initialized in
            ExtremumKernels.run(data, values.data, buf.baseAddress!, outer: outer, n: n, inner: inner, isMin: isMin)
            initialized = outer * inner
        }
        return (values, idx)
    }

    private func reduceExtremum(axis: Int, keepDims: Bool, isMin: Bool) -> Tensor {
        let ax = self.axis(axis)
        let (values, idx) = extremum(ax, isMin: isMin)
        var keptShape = shape
        keptShape[ax] = 1
        let out = keepDims ? values.reshapedView(keptShape) : values
        let (_, n, inner) = splitAround(ax)
        return out.recordingGrad(inputs: [self]) { g in
            // The whole gradient goes to the (first) arg-extremum of each slice.
            let gx = Tensor.zeros(self.shape)
            let gp = gx.data, gg = g.data
            idx.withUnsafeBufferPointer { ib in
                for (flat, k) in ib.enumerated() {
                    let o = flat / inner, i = flat % inner
                    gp[(o * n + Int(k)) * inner + i] = gg[flat]
                }
            }
            self.accumulateGrad(gx)
        }
    }

    /// The maximum along `axis`. Its gradient goes to the first maximal element (ties are
    /// resolved to the lowest index, deterministically).
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        reduceExtremum(axis: axis, keepDims: keepDims, isMin: false)
    }

    /// The minimum along `axis`; gradient to the first minimal element.
    public func min(axis: Int, keepDims: Bool = false) -> Tensor {
        reduceExtremum(axis: axis, keepDims: keepDims, isMin: true)
    }

    /// Index of the first maximum along `axis`, for each position of the other axes in
    /// row-major order (e.g. [N, C] → N class predictions).
    public func argmax(axis: Int = -1) -> [Int] {
        extremum(self.axis(axis), isMin: false).1.map { Int($0) }
    }

    /// The variance over `axes` (all when nil): mean of (x − mean)², divided by N − 1 instead
    /// of N when `unbiased` (Bessel). Differentiable.
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, unbiased: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map { self.axis($0) }
        let n = ax.reduce(1) { $0 * shape[$1] }
        let centred = self - mean(axes: ax, keepDims: true)
        let denominator = Float(unbiased ? n - 1 : n)
        return (centred * centred).sum(axes: ax, keepDims: keepDims) * (1 / denominator)
    }
}
