/// Shape ops: reshape / squeeze / unsqueeze / leading-axis slices as views; permute,
/// slice, concat, stack and pad as copies. All differentiable.

enum ShapeKernels {
    /// Copies between a dense `small` tensor and the same-shaped block of a dense `big` one
    /// that starts at `origin`: small → big when `intoBig`, else big → small.
    static func blockCopy(small: UnsafeMutablePointer<Float>, _ smallShape: [Int],
                          big: UnsafeMutablePointer<Float>, _ bigShape: [Int],
                          origin: [Int], intoBig: Bool) {
        let total = smallShape.reduce(1, *)
        guard total > 0 else { return }
        if smallShape.isEmpty {
            if intoBig { big[0] = small[0] } else { small[0] = big[0] }
            return
        }
        // Trailing axes the block spans fully merge into longer contiguous rows.
        var s = smallShape, b = bigShape, org = origin
        while s.count >= 2 && s[s.count - 1] == b[b.count - 1] {
            let n = s.removeLast()
            b.removeLast(); org.removeLast()
            s[s.count - 1] *= n; b[b.count - 1] *= n; org[org.count - 1] *= n
        }
        let rowLen = s[s.count - 1], rows = total / rowLen
        let bStrides = Tensor.strides(b)
        let base = zip(org, bStrides).reduce(0) { $0 + $1.0 * $1.1 }
        Threads.pool.parallelFor(rows, grain: max(1, Kernels.grain / rowLen)) { r in
            for row in r {
                var rem = row, off = base
                for d in stride(from: s.count - 2, through: 0, by: -1) {
                    off += (rem % s[d]) * bStrides[d]
                    rem /= s[d]
                }
                if intoBig { (big + off).update(from: small + row * rowLen, count: rowLen) }
                else { (small + row * rowLen).update(from: big + off, count: rowLen) }
            }
        }
    }

    /// out = x permuted: output axis i is input axis perm[i].
    static func permute(_ x: UnsafePointer<Float>, _ shape: [Int], _ perm: [Int], _ o: UnsafeMutablePointer<Float>) {
        let total = shape.reduce(1, *)
        guard total > 0 else { return }
        // Output dims with their input strides; drop size-1 axes, merge axes that stay
        // adjacent and in order in the input.
        let inStrides = Tensor.strides(shape)
        var dims: [Int] = [], st: [Int] = []
        for p in perm where shape[p] != 1 {
            if let last = st.last, last == inStrides[p] * shape[p] {
                dims[dims.count - 1] *= shape[p]; st[st.count - 1] = inStrides[p]
            } else {
                dims.append(shape[p]); st.append(inStrides[p])
            }
        }
        if dims.isEmpty { o[0] = x[0]; return }
        let r = dims.count
        let inner = dims[r - 1]
        if st[r - 1] == 1 {
            // The innermost axis stays innermost (e.g. [B,T,H,D] ↔ [B,H,T,D]): row copies.
            let outerDims = Array(dims.dropLast()), outerSt = Array(st.dropLast())
            Threads.pool.parallelFor(total / inner, grain: max(1, Kernels.grain / inner)) { range in
                for row in range {
                    (o + row * inner).update(from: x + offset(row, outerDims, outerSt), count: inner)
                }
            }
        } else if r >= 2 && st[r - 2] == 1 && st[r - 1] == dims[r - 2] {
            // The last two axes swap over a contiguous matrix: batched tiled transpose.
            let rows = dims[r - 1], cols = dims[r - 2]   // input matrix rows × cols
            let batchDims = Array(dims.dropLast(2)), batchSt = Array(st.dropLast(2))
            let batch = batchDims.reduce(1, *), tiles = (rows + tile - 1) / tile
            Threads.pool.parallelFor(batch * tiles, grain: max(1, Kernels.grain / (tile * cols))) { range in
                for item in range {
                    let bIdx = item / tiles, r0 = (item % tiles) * tile
                    transposeTile(x + offset(bIdx, batchDims, batchSt), o + bIdx * rows * cols,
                                  rows: rows, cols: cols, r0: r0, r1: Swift.min(rows, r0 + tile))
                }
            }
        } else {
            // General: strided gather along the innermost output axis.
            let outerDims = Array(dims.dropLast()), outerSt = Array(st.dropLast()), s = st[r - 1]
            Threads.pool.parallelFor(total / inner, grain: max(1, Kernels.grain / inner)) { range in
                for row in range {
                    gatherRow(x + offset(row, outerDims, outerSt), s, o + row * inner, inner)
                }
            }
        }
    }

    static let tile = 32

    /// The input offset of output row `row` over `dims` with input strides `st`.
    @inline(__always)
    static func offset(_ row: Int, _ dims: [Int], _ st: [Int]) -> Int {
        var rem = row, off = 0
        for d in stride(from: dims.count - 1, through: 0, by: -1) {
            off += (rem % dims[d]) * st[d]
            rem /= dims[d]
        }
        return off
    }

    @inline(never)
    static func gatherRow(_ x: UnsafePointer<Float>, _ s: Int, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { o[i] = x[i * s] }
    }

    /// Rows r0..<r1 of the matrix x (rows × cols) into the columns r0..<r1 of o (cols × rows),
    /// in 32×32 tiles so that reads and writes both stay in L1.
    @inline(never)
    static func transposeTile(_ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>,
                              rows: Int, cols: Int, r0: Int, r1: Int) {
        var c0 = 0
        while c0 < cols {
            let c1 = Swift.min(cols, c0 + tile)
            for c in c0..<c1 {
                let dst = o + c * rows, src = x + c
                for rr in r0..<r1 { dst[rr] = src[rr * cols] }
            }
            c0 = c1
        }
    }
}

extension Tensor {
    /// The tensor seen as [outer, n, inner] around axis `ax` (ops along one axis use this).
    func splitAround(_ ax: Int) -> (Int, Int, Int) {
        (shape[..<ax].reduce(1, *), shape[ax], shape[(ax + 1)...].reduce(1, *))
    }

    /// `newShape` with its one allowed −1 resolved.
    private func resolvedShape(_ newShape: [Int]) -> [Int] {
        let holes = newShape.filter { $0 == -1 }.count
        precondition(holes <= 1 && newShape.allSatisfy { $0 >= -1 }, "bad shape \(newShape)")
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        var s = newShape
        if holes == 1 {
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            s[s.firstIndex(of: -1)!] = count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return s
    }

    /// A view of the same elements with another shape (one axis may be −1: inferred). Writes
    /// through the view change this tensor.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let out = reshapedView(resolvedShape(newShape))
        let inShape = shape
        return out.recordingGrad(inputs: [self]) { g in self.accumulateGrad(g.reshapedView(inShape)) }
    }

    /// A view that merges axes `axis`… into one: [N, C, H, W] → [N, C·H·W].
    public func flattened(from axis: Int = 1) -> Tensor {
        let a = self.axis(axis)
        return reshaped(Array(shape[..<a]) + [shape[a...].reduce(1, *)])
    }

    /// A view without the size-1 axis `axis`.
    public func squeeze(axis: Int) -> Tensor {
        let a = self.axis(axis)
        precondition(shape[a] == 1, "squeeze: axis \(axis) of \(shape) is not 1")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    /// A view with a new size-1 axis at `axis` (−1 appends at the end).
    public func unsqueeze(axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze: axis \(axis) out of range for \(shape)")
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// A copy with the axes reordered: output axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        let perm = axes.map { self.axis($0) }
        precondition(perm.count == rank && Set(perm).count == rank, "permuted: \(axes) for \(shape)")
        let outShape = perm.map { shape[$0] }
        let out = Tensor(uninitializedShape: outShape)
        ShapeKernels.permute(data, shape, perm, out.data)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return out.recordingGrad(inputs: [self]) { g in
            let gx = Tensor(uninitializedShape: self.shape)
            ShapeKernels.permute(g.data, outShape, inverse, gx.data)
            self.accumulateGrad(gx)
        }
    }

    /// A copy with axes `a` and `b` swapped.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var perm = Array(0..<rank)
        perm.swapAt(self.axis(a), self.axis(b))
        return permuted(perm)
    }

    /// Elements `range` along `axis`. A view (sharing storage) when every axis before `axis`
    /// has size 1, e.g. a batch slice along axis 0; a copy otherwise.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let ax = self.axis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax],
                     "slice \(range) out of bounds for axis \(axis) of \(shape)")
        var outShape = shape
        outShape[ax] = range.count
        var origin = [Int](repeating: 0, count: rank)
        origin[ax] = range.lowerBound
        let out: Tensor
        if shape[..<ax].allSatisfy({ $0 == 1 }) {
            let inner = shape[(ax + 1)...].reduce(1, *)
            out = Tensor(storage: storage, offset: offset + range.lowerBound * inner, shape: outShape)
        } else {
            out = Tensor(uninitializedShape: outShape)
            ShapeKernels.blockCopy(small: out.data, outShape, big: data, shape, origin: origin, intoBig: false)
        }
        return out.recordingGrad(inputs: [self]) { g in
            let gx = Tensor.zeros(self.shape)
            ShapeKernels.blockCopy(small: g.data, outShape, big: gx.data, self.shape, origin: origin, intoBig: true)
            self.accumulateGrad(gx)
        }
    }

    /// Joins tensors along `axis`; all other axes must agree.
    public static func concat(_ ts: [Tensor], axis: Int) -> Tensor {
        precondition(!ts.isEmpty, "concat of no tensors")
        let ax = ts[0].axis(axis)
        var outShape = ts[0].shape
        outShape[ax] = 0
        for t in ts {
            var s = t.shape
            precondition(s.count == outShape.count, "concat: rank of \(t.shape) vs \(ts[0].shape)")
            outShape[ax] += s[ax]
            s[ax] = 0
            var want = ts[0].shape
            want[ax] = 0
            precondition(s == want, "concat along \(axis): \(t.shape) vs \(ts[0].shape)")
        }
        let out = Tensor(uninitializedShape: outShape)
        var origins: [[Int]] = []
        var start = 0
        for t in ts {
            var origin = [Int](repeating: 0, count: outShape.count)
            origin[ax] = start
            start += t.shape[ax]
            origins.append(origin)
            ShapeKernels.blockCopy(small: t.data, t.shape, big: out.data, outShape, origin: origin, intoBig: true)
        }
        return out.recordingGrad(inputs: ts) { g in
            for (t, origin) in zip(ts, origins) where t.tracksGrad {
                let gt = Tensor(uninitializedShape: t.shape)
                ShapeKernels.blockCopy(small: gt.data, t.shape, big: g.data, outShape, origin: origin, intoBig: false)
                t.accumulateGrad(gt)
            }
        }
    }

    /// Joins equally shaped tensors along a new axis `axis` (−1: a new last axis).
    public static func stack(_ ts: [Tensor], axis: Int) -> Tensor {
        precondition(!ts.isEmpty, "stack of no tensors")
        precondition(ts.allSatisfy { $0.shape == ts[0].shape }, "stack needs equal shapes")
        let rank = ts[0].rank
        let ax = axis < 0 ? axis + rank + 1 : axis
        return concat(ts.map { $0.unsqueeze(axis: ax) }, axis: ax)
    }

    /// Pads each axis with `pads[i].0` elements before and `pads[i].1` after, all `value`.
    public func padded(_ pads: [(Int, Int)], value: Float = 0) -> Tensor {
        precondition(pads.count == rank, "padded: \(pads.count) pairs for rank \(rank)")
        precondition(pads.allSatisfy { $0.0 >= 0 && $0.1 >= 0 }, "padded: negative padding")
        let outShape = zip(shape, pads).map { $0 + $1.0 + $1.1 }
        let origin = pads.map { $0.0 }
        let out = Tensor(shape: outShape, repeating: value)
        ShapeKernels.blockCopy(small: data, shape, big: out.data, outShape, origin: origin, intoBig: true)
        return out.recordingGrad(inputs: [self]) { g in
            let gx = Tensor(uninitializedShape: self.shape)
            ShapeKernels.blockCopy(small: gx.data, self.shape, big: g.data, outShape, origin: origin, intoBig: false)
            self.accumulateGrad(gx)
        }
    }
}
