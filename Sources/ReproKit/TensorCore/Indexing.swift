/// Indexing: row lookup (embeddings), torch.gather, element-wise selection by a mask, and
/// masked fill (attention masks).

enum IndexKernels {
    /// out[o, j, :] = x[o, idx[j], :] over [outer, n, inner] → [outer, m, inner].
    static func indexSelect(_ x: UnsafePointer<Float>, _ idx: UnsafePointer<Int>, _ m: Int,
                            _ o: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int) {
        Threads.pool.parallelFor(outer * m, grain: max(1, Kernels.grain / max(inner, 1))) { r in
            for item in r {
                let ob = item / m, j = item % m
                (o + item * inner).update(from: x + (ob * n + idx[j]) * inner, count: inner)
            }
        }
    }

    /// gx[o, idx[j], :] += g[o, j, :]. Threads split the outer axis, or else the columns, so
    /// repeated indices never race.
    static func indexAdd(_ g: UnsafePointer<Float>, _ idx: UnsafePointer<Int>, _ m: Int,
                         _ gx: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int) {
        if outer > 1 {
            Threads.pool.parallelFor(outer, grain: max(1, Kernels.grain / max(m * inner, 1))) { r in
                for ob in r {
                    for j in 0..<m {
                        addRow(gx + (ob * n + idx[j]) * inner, g + (ob * m + j) * inner, inner)
                    }
                }
            }
        } else {
            Threads.pool.parallelFor(inner, grain: max(16, Kernels.grain / max(m, 1))) { r in
                for j in 0..<m {
                    addRow(gx + idx[j] * inner + r.lowerBound, g + j * inner + r.lowerBound, r.count)
                }
            }
        }
    }

    @inline(never)
    static func addRow(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { d[i] += s[i] }
    }

    /// torch.gather: out[o, j, i] = x[o, idx[o, j, i], i]; `scatter` does the reverse,
    /// gx[o, idx[o, j, i], i] += g[o, j, i]. Each outer slice belongs to one thread.
    static func gather(_ x: UnsafeMutablePointer<Float>, _ idx: UnsafePointer<Int>,
                       _ o: UnsafeMutablePointer<Float>, outer: Int, n: Int, m: Int, inner: Int, scatter: Bool) {
        Threads.pool.parallelFor(outer, grain: max(1, Kernels.grain / max(m * inner, 1))) { r in
            for ob in r {
                let src = x + ob * n * inner
                for j in 0..<m {
                    let base = (ob * m + j) * inner
                    for i in 0..<inner {
                        let at = idx[base + i] * inner + i
                        if scatter { src[at] += o[base + i] } else { o[base + i] = src[at] }
                    }
                }
            }
        }
    }

    /// o = m ≠ 0 ? a : b over coalesced broadcast dims with per-operand strides.
    static func select(_ m: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                       _ o: UnsafeMutablePointer<Float>, shapes: [[Int]], out: [Int]) {
        let total = out.reduce(1, *)
        guard total > 0 else { return }
        let full = shapes.map { broadcastStrides($0, to: out) }
        var dims: [Int] = [], st: [[Int]] = [[], [], []]
        for i in 0..<out.count where out[i] != 1 {
            if let last = dims.last, (0..<3).allSatisfy({ st[$0].last! == full[$0][i] * out[i] }) {
                dims[dims.count - 1] = last * out[i]
                for k in 0..<3 { st[k][st[k].count - 1] = full[k][i] }
            } else {
                dims.append(out[i])
                for k in 0..<3 { st[k].append(full[k][i]) }
            }
        }
        if dims.isEmpty { dims = [1]; st = [[0], [0], [0]] }
        let inner = dims.last!, sm = st[0].last!, sa = st[1].last!, sb = st[2].last!
        let outer = Array(dims.dropLast()), om = st[0].dropLast(), oa = st[1].dropLast(), obs = st[2].dropLast()
        Threads.pool.parallelFor(total / inner, grain: max(1, Kernels.grain / inner)) { r in
            for row in r {
                var rem = row, offM = 0, offA = 0, offB = 0
                for d in stride(from: outer.count - 1, through: 0, by: -1) {
                    let i = rem % outer[d]
                    rem /= outer[d]
                    offM += i * om[d]; offA += i * oa[d]; offB += i * obs[d]
                }
                selectRow(m + offM, sm, a + offA, sa, b + offB, sb, o + row * inner, inner)
            }
        }
    }

    @inline(never)
    static func selectRow(_ m: UnsafePointer<Float>, _ sm: Int, _ a: UnsafePointer<Float>, _ sa: Int,
                          _ b: UnsafePointer<Float>, _ sb: Int, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        if sm == 1 && sa == 0 && sb == 1 {          // maskedFill: a is the fill value
            let v = a[0]
            for i in 0..<n { o[i] = m[i] != 0 ? v : b[i] }
        } else if sm == 1 && sa == 1 && sb == 0 {   // gradient of maskedFill-like selects
            let v = b[0]
            for i in 0..<n { o[i] = m[i] != 0 ? a[i] : v }
        } else if sm == 1 && sa == 1 && sb == 1 {
            for i in 0..<n { o[i] = m[i] != 0 ? a[i] : b[i] }
        } else {
            for i in 0..<n { o[i] = m[i * sm] != 0 ? a[i * sa] : b[i * sb] }
        }
    }
}

extension Tensor {
    /// Rows `indices` along `axis`: a [V, D] table with ids gives [ids.count, D] (embedding
    /// lookup). Backward adds each output row into its source row; repeated ids accumulate.
    public func indexSelect(axis: Int = 0, _ indices: [Int]) -> Tensor {
        let ax = self.axis(axis)
        let (outer, n, inner) = splitAround(ax)
        precondition(indices.allSatisfy { $0 >= 0 && $0 < n }, "indexSelect: index out of range 0..<\(n)")
        var outShape = shape
        outShape[ax] = indices.count
        let out = Tensor(uninitializedShape: outShape)
        let m = indices.count
        indices.withUnsafeBufferPointer { ib in
            guard let base = ib.baseAddress else { return }
            IndexKernels.indexSelect(data, base, m, out.data, outer: outer, n: n, inner: inner)
        }
        return out.recordingGrad(inputs: [self]) { g in
            let gx = Tensor.zeros(self.shape)
            indices.withUnsafeBufferPointer { ib in
                guard let base = ib.baseAddress else { return }
                IndexKernels.indexAdd(g.data, base, m, gx.data, outer: outer, n: n, inner: inner)
            }
            self.accumulateGrad(gx)
        }
    }

    /// torch.gather along `axis`: out[…, j, …] = self[…, indices[…, j, …], …]. `indices`
    /// (row-major) has the output's shape: self's shape with the axis size replaced by
    /// indices.count / (product of the other axes). Backward scatter-adds.
    public func gather(axis: Int, _ indices: [Int]) -> Tensor {
        let ax = self.axis(axis)
        let (outer, n, inner) = splitAround(ax)
        let others = outer * inner
        precondition(others > 0 && indices.count % others == 0,
                     "gather: \(indices.count) indices do not fit shape \(shape) along axis \(axis)")
        precondition(indices.allSatisfy { $0 >= 0 && $0 < n }, "gather: index out of range 0..<\(n)")
        let m = indices.count / others
        var outShape = shape
        outShape[ax] = m
        let out = Tensor(uninitializedShape: outShape)
        indices.withUnsafeBufferPointer { ib in
            guard let base = ib.baseAddress else { return }
            IndexKernels.gather(data, base, out.data, outer: outer, n: n, m: m, inner: inner, scatter: false)
        }
        return out.recordingGrad(inputs: [self]) { g in
            let gx = Tensor.zeros(self.shape)
            indices.withUnsafeBufferPointer { ib in
                guard let base = ib.baseAddress else { return }
                IndexKernels.gather(gx.data, base, g.data, outer: outer, n: n, m: m, inner: inner, scatter: true)
            }
            self.accumulateGrad(gx)
        }
    }

    /// Element-wise `mask ≠ 0 ? a : b`, all three broadcast together (torch.where).
    /// Gradients go to `a` where the mask is set and to `b` elsewhere; none to the mask.
    public static func select(where mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let ab = broadcastShape(a.shape, b.shape), let shape = broadcastShape(mask.shape, ab) else {
            preconditionFailure("select: shapes \(mask.shape), \(a.shape), \(b.shape) do not broadcast")
        }
        let out = Tensor(uninitializedShape: shape)
        IndexKernels.select(mask.data, a.data, b.data, out.data, shapes: [mask.shape, a.shape, b.shape], out: shape)
        return out.recordingGrad(inputs: [a, b]) { g in
            let zero = Tensor(scalar: 0)
            if a.tracksGrad {
                let ga = Tensor(uninitializedShape: shape)
                IndexKernels.select(mask.data, g.data, zero.data, ga.data, shapes: [mask.shape, shape, []], out: shape)
                a.accumulateGrad(ga.sumTo(a.shape))
            }
            if b.tracksGrad {
                let gb = Tensor(uninitializedShape: shape)
                IndexKernels.select(mask.data, zero.data, g.data, gb.data, shapes: [mask.shape, [], shape], out: shape)
                b.accumulateGrad(gb.sumTo(b.shape))
            }
        }
    }

    /// A copy with `value` where `mask` (broadcast to this shape) is nonzero. The gradient is
    /// 0 at filled positions. With −∞ and `causalMask` this masks attention scores.
    public func maskedFill(_ mask: Tensor, _ value: Float) -> Tensor {
        precondition(broadcastShape(shape, mask.shape) == shape,
                     "maskedFill: mask \(mask.shape) does not broadcast to \(shape)")
        let out = Tensor(uninitializedShape: shape)
        let fill = Tensor(scalar: value)
        IndexKernels.select(mask.data, fill.data, data, out.data, shapes: [mask.shape, [], shape], out: shape)
        return out.recordingGrad(inputs: [self]) { g in
            let zero = Tensor(scalar: 0)
            let gx = Tensor(uninitializedShape: self.shape)
            IndexKernels.select(mask.data, zero.data, g.data, gx.data, shapes: [mask.shape, [], self.shape], out: self.shape)
            self.accumulateGrad(gx)
        }
    }

    /// [t, t] with 1 above the diagonal (j > i): the future positions a causal attention
    /// must not see. Use as `scores.maskedFill(Tensor.causalMask(t), -.infinity)`.
    public static func causalMask(_ t: Int) -> Tensor {
        let m = Tensor(uninitializedShape: [t, t])
        for i in 0..<t { for j in 0..<t { m.data[i * t + j] = j > i ? 1 : 0 } }
        return m
    }
}
