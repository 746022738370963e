/// Element-wise binary ops with NumPy broadcasting: + − × ÷, and their scalar forms.
/// Backward: each input gets the output gradient times ∂out/∂input, summed over the axes
/// it was broadcast along (`sumTo`).

protocol BinaryFunction { static func f(_ a: Float, _ b: Float) -> Float }
enum AddF: BinaryFunction { @inline(__always) static func f(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubF: BinaryFunction { @inline(__always) static func f(_ a: Float, _ b: Float) -> Float { a - b } }
enum MulF: BinaryFunction { @inline(__always) static func f(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivF: BinaryFunction { @inline(__always) static func f(_ a: Float, _ b: Float) -> Float { a / b } }

/// The shape two shapes broadcast to, or nil when they do not.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let x = i < r - a.count ? 1 : a[i - (r - a.count)]
        let y = i < r - b.count ? 1 : b[i - (r - b.count)]
        if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else { return nil }
    }
    return out
}

/// Strides of `shape` seen from the broadcast shape `out` (0 along broadcast axes).
func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
    let s = Tensor.strides(shape)
    let pad = out.count - shape.count
    return (0..<out.count).map { i in
        i < pad || shape[i - pad] == 1 ? 0 : s[i - pad]
    }
}

@inline(__always)
func binaryRow<F: BinaryFunction>(_: F.Type, _ a: UnsafePointer<Float>, _ sa: Int,
                                  _ b: UnsafePointer<Float>, _ sb: Int,
                                  _ o: UnsafeMutablePointer<Float>, _ n: Int) {
    if sa == 1 && sb == 1 {
        for i in 0..<n { o[i] = F.f(a[i], b[i]) }
    } else if sa == 1 && sb == 0 {
        let y = b[0]
        for i in 0..<n { o[i] = F.f(a[i], y) }
    } else if sa == 0 && sb == 1 {
        let x = a[0]
        for i in 0..<n { o[i] = F.f(x, b[i]) }
    } else {
        for i in 0..<n { o[i] = F.f(a[i * sa], b[i * sb]) }
    }
}

@inline(__always)
func broadcastApply<F: BinaryFunction>(_ f: F.Type, _ a: Tensor, _ b: Tensor) -> Tensor {
    guard let shape = broadcastShape(a.shape, b.shape) else {
        preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let out = Tensor(uninitializedShape: shape)
    let (pa, pb, po) = (UnsafePointer(a.data), UnsafePointer(b.data), out.data)
    if a.shape == b.shape || (a.count == out.count && b.count == out.count) {
        Threads.pool.parallelFor(out.count, grain: Kernels.grain) { r in
            binaryRow(f, pa + r.lowerBound, 1, pb + r.lowerBound, 1, po + r.lowerBound, r.count)
        }
        return out
    }
    // Collapse adjacent axes that are contiguous for both inputs, so the inner row is long.
    var dims: [Int] = [], sa: [Int] = [], sb: [Int] = []
    let fa = broadcastStrides(a.shape, to: shape), fb = broadcastStrides(b.shape, to: shape)
    for i in 0..<shape.count where shape[i] != 1 {
        if let last = dims.last,
           sa.last! == fa[i] * shape[i] && sb.last! == fb[i] * shape[i] {
            dims[dims.count - 1] = last * shape[i]
            sa[sa.count - 1] = fa[i]; sb[sb.count - 1] = fb[i]
        } else {
            dims.append(shape[i]); sa.append(fa[i]); sb.append(fb[i])
        }
    }
    if dims.isEmpty { dims = [1]; sa = [0]; sb = [0] }
    let inner = dims.last!, isa = sa.last!, isb = sb.last!
    let outerDims = Array(dims.dropLast()), osa = Array(sa.dropLast()), osb = Array(sb.dropLast())
    let rows = outerDims.reduce(1, *)
    Threads.pool.parallelFor(rows, grain: max(1, Kernels.grain / max(inner, 1))) { r in
        for row in r {
            var rem = row, offA = 0, offB = 0
            for d in stride(from: outerDims.count - 1, through: 0, by: -1) {
                let i = rem % outerDims[d]; rem /= outerDims[d]
                offA += i * osa[d]; offB += i * osb[d]
            }
            binaryRow(f, pa + offA, isa, pb + offB, isb, po + row * inner, inner)
        }
    }
    return out
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        broadcastApply(AddF.self, a, b).recordingGrad(inputs: [a, b]) { g in
            a.accumulateGrad(g.sumTo(a.shape))
            b.accumulateGrad(g.sumTo(b.shape))
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        broadcastApply(SubF.self, a, b).recordingGrad(inputs: [a, b]) { g in
            a.accumulateGrad(g.sumTo(a.shape))
            if b.tracksGrad { b.accumulateGrad((-g).sumTo(b.shape)) }
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        broadcastApply(MulF.self, a, b).recordingGrad(inputs: [a, b]) { g in
            if a.tracksGrad { a.accumulateGrad((g * b.detached()).sumTo(a.shape)) }
            if b.tracksGrad { b.accumulateGrad((g * a.detached()).sumTo(b.shape)) }
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        broadcastApply(DivF.self, a, b).recordingGrad(inputs: [a, b]) { g in
            let bd = b.detached()
            if a.tracksGrad { a.accumulateGrad((g / bd).sumTo(a.shape)) }
            if b.tracksGrad { b.accumulateGrad((-(g * a.detached()) / (bd * bd)).sumTo(b.shape)) }
        }
    }

    /// a·s + t element-wise, with its gradient (the building block of the scalar operators).
    public func affine(scale s: Float, shift t: Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        Kernels.scaleShift(data, s, t, out.data, count)
        return out.recordingGrad(inputs: [self]) { g in
            if s == 1 { self.accumulateGrad(g); return }
            let gx = Tensor(uninitializedShape: g.shape)
            Kernels.scaleShift(g.data, s, 0, gx.data, g.count)
            self.accumulateGrad(gx)
        }
    }

    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1, shift: 0) }
    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s, shift: 0) }
    public static func / (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) / a }
}
