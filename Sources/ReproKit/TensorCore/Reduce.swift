/// Sum and mean over axes; `sumTo` folds a broadcast gradient back to an input's shape.

extension Tensor {
    /// Sums along one axis: (outer, n, inner) → (outer, inner).
    func sumAxis(_ ax: Int, keepDim: Bool) -> Tensor {
        let n = shape[ax]
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        var outShape = shape
        if keepDim { outShape[ax] = 1 } else { outShape.remove(at: ax) }
        let out = Tensor(uninitializedShape: outShape)
        let src = UnsafePointer(data), dst = out.data
        if inner == 1 {
            Threads.pool.parallelFor(outer, grain: Swift.max(1, Kernels.grain / Swift.max(n, 1))) { r in
                for o in r { dst[o] = Kernels.sum(src + o * n, n) }
            }
        } else {
            Threads.pool.parallelFor(outer * inner, grain: Kernels.grain / Swift.max(n, 1)) { r in
                // Parallel over (outer, inner-block); each accumulates its n rows.
                var idx = r.lowerBound
                while idx < r.upperBound {
                    let o = idx / inner, i0 = idx % inner
                    let len = Swift.min(inner - i0, r.upperBound - idx)
                    let d = dst + o * inner + i0
                    let s = src + o * n * inner + i0
                    for i in 0..<len { d[i] = 0 }
                    for k in 0..<n {
                        let row = s + k * inner
                        for i in 0..<len { d[i] += row[i] }
                    }
                    idx += len
                }
            }
        }
        return out
    }

    /// The sum over `axes` (all axes when nil), keeping them as size 1 when `keepDims`.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = Set((axes ?? Array(0..<rank)).map { axis($0) })
        var result: Tensor = self.detached()
        for a in ax.sorted(by: >) { result = result.sumAxis(a, keepDim: true) }
        var outShape: [Int] = []
        for (i, n) in shape.enumerated() { outShape.append(ax.contains(i) ? 1 : n) }
        let finalShape = keepDims ? outShape : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        if ax.isEmpty { result = self.copy() }
        let out = result.reshapedView(finalShape)
        let inShape = shape
        return out.recordingGrad(inputs: [self]) { g in
            self.accumulateGrad(g.reshapedView(outShape).expand(to: inShape))
        }
    }

    /// Sum along one axis.
    public func sum(axis a: Int, keepDims: Bool = false) -> Tensor { sum(axes: [a], keepDims: keepDims) }

    /// The mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map { axis($0) }
        let n = ax.reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Mean along one axis.
    public func mean(axis a: Int, keepDims: Bool = false) -> Tensor { mean(axes: [a], keepDims: keepDims) }

    /// Sums a broadcast result back to `target` (a shape this one was broadcast from).
    /// Outside autograd: used by backward closures.
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let pad = rank - target.count
        var t: Tensor = self
        for i in stride(from: rank - 1, through: 0, by: -1) {
            let want = i < pad ? 1 : target[i - pad]
            if shape[i] != want { t = t.sumAxis(i, keepDim: true) }
        }
        return t.reshapedView(target)
    }

    /// Repeats this tensor along its size-1 (or missing leading) axes to `target`.
    /// Outside autograd: used by backward closures.
    public func expand(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let zero = Tensor(shape: target, repeating: 0)
        return broadcastApply(AddF.self, zero, self.detached())
    }
}
