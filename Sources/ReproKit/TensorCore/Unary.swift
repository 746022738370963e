import Foundation
internal import CKernels

/// Element-wise unary ops (exp, log, sqrt, pow, abs, clamp, the activations) with their
/// gradients, and the vectorisable math they are built on.

/// Float32 exp, log, tanh, sigmoid and erfc that vectorise.
///
/// libm's `expf` is an opaque call per element, so a loop around it never becomes SIMD code.
/// These are branch-free polynomial forms (Cephes' coefficients, about 1–2 ulp; erfc from
/// Numerical Recipes, relative error < 1.2e-7) made only of arithmetic, comparisons and bit
/// casts, so LLVM turns a plain loop over them into vector code. erfc rounds its exponent
/// −x² + p in float, so its relative error is ~1e-6 for |x| ≤ 3, growing to 5e-6 at x = 9.
public enum FastMath {
    /// eˣ. Underflows to 0 below about −103.9 (with subnormals above), overflows to +∞ above
    /// 88.72; NaN stays NaN.
    @inlinable @inline(__always)
    public static func exp(_ x0: Float) -> Float {
        // Clamp so n stays small; e^-105 rounds to 0 and e^89 overflows to inf anyway.
        var x = x0 < -105 ? -105 : x0
        x = x > 89 ? 89 : x
        // n = round(x / ln2) by the 1.5·2²³ trick: no float→int conversion, so no trap check.
        let magic: Float = 12_582_912
        let t = x * 1.442_695_04 + magic
        let nf = t - magic
        let n = Int32(bitPattern: t.bitPattern &- magic.bitPattern)
        // r = x − n·ln2, with ln2 split in two so the product is exact.
        let r = x - nf * 0.693_359_375 - nf * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        // 2ⁿ as two factors: each stays a normal float, and tiny results round to subnormals.
        let h = n &>> 1
        let s1 = Float(bitPattern: UInt32(bitPattern: (h &+ 127) &<< 23))
        let s2 = Float(bitPattern: UInt32(bitPattern: (n &- h &+ 127) &<< 23))
        return p * s1 * s2
    }

    /// ln x; −∞ at 0, NaN below 0.
    @inlinable @inline(__always)
    public static func log(_ x0: Float) -> Float {
        // Scale subnormals into the normal range so the exponent bits mean what they say.
        let sub = x0 < Float.leastNormalMagnitude
        let x = sub ? x0 * 8_388_608 : x0
        let bits = x.bitPattern
        var e = Int32(bitPattern: (bits &>> 23) & 0xff) &- 126 &- (sub ? 23 : 0)
        var m = Float(bitPattern: (bits & 0x007f_ffff) | 0x3f00_0000)   // [0.5, 1)
        let low = m < 0.707_106_781_186_547_524
        e = low ? e &- 1 : e
        m = low ? m + m - 1 : m - 1                                   // m ∈ [√½ − 1, √2 − 1)
        let z = m * m
        var y: Float = 7.037_683_629_2e-2
        y = y * m - 1.151_461_031_0e-1
        y = y * m + 1.167_699_874_0e-1
        y = y * m - 1.242_014_084_6e-1
        y = y * m + 1.424_932_278_7e-1
        y = y * m - 1.666_805_766_5e-1
        y = y * m + 2.000_071_476_5e-1
        y = y * m - 2.499_999_399_3e-1
        y = y * m + 3.333_333_117_4e-1
        y = y * m * z
        let fe = Float(e)
        y += fe * -2.121_944_4e-4
        y += -0.5 * z
        var r = m + y + fe * 0.693_359_375
        r = x0 == .infinity ? .infinity : r
        r = x0 == 0 ? -.infinity : r
        return x0 >= 0 ? r : .nan
    }

    /// tanh x.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let a = Swift.abs(x)
        // Near 0, 1 − 2/(e^{2|x|}+1) cancels: use Cephes' odd polynomial below 0.625.
        let z = x * x
        var p: Float = -5.704_988_727_45e-3
        p = p * z + 2.063_908_879_54e-2
        p = p * z - 5.373_971_555_31e-2
        p = p * z + 1.333_144_220_36e-1
        p = p * z - 3.333_328_194_22e-1
        let small = p * z * x + x
        let big = 1 - 2 / (exp(2 * a) + 1)
        return a < 0.625 ? small : (x < 0 ? -big : big)
    }

    /// 1 / (1 + e⁻ˣ).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// erfc x = 1 − erf x, with small relative error also in the tail (NR's erfcc), where
    /// 1 − erf would cancel.
    @inlinable @inline(__always)
    public static func erfc(_ x: Float) -> Float {
        let z = Swift.abs(x)
        let t = 1 / (1 + 0.5 * z)
        var p: Float = 0.170_872_77
        p = p * t - 0.822_152_23
        p = p * t + 1.488_515_87
        p = p * t - 1.135_203_98
        p = p * t + 0.278_868_07
        p = p * t - 0.186_288_06
        p = p * t + 0.096_784_18
        p = p * t + 0.374_091_96
        p = p * t + 1.000_023_68
        p = p * t - 1.265_512_23
        let r = t * exp(p - z * z)
        return x < 0 ? 2 - r : r
    }
}

/// The forward functions, chosen once per call so that each loop is a plain vectorisable one.
enum UnaryOp {
    case exp, log, sqrt, rsqrt, reciprocal, square, cube, pow(Float), abs
    case clamp(Float, Float), relu, leakyRelu(Float), gelu, geluTanh, tanh, sigmoid, silu
}

/// The backward functions: o = g · f′, with f′ computed from the input x or the output y.
enum UnaryGrad {
    case expY, sqrtY, absX, clampX(Float, Float), reluY, leakyReluX(Float)
    case geluX, geluTanhX, tanhY, sigmoidY, siluX
}

enum UnaryKernels {
    /// Element-wise ops cost several flops each, so threads pay off sooner than for a copy.
    static let grain = Kernels.grain / 4

    static let invSqrt2: Float = 0.707_106_781_186_547_524
    static let invSqrt2Pi: Float = 0.398_942_280_401_432_678
    static let sqrt2OverPi: Float = 0.797_884_560_802_865_355
    static let geluC: Float = 0.044_715

    static func apply(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            row(op, x + r.lowerBound, o + r.lowerBound, r.count)
        }
    }

    @inline(never)
    static func row(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        switch op {
        case .exp: for i in 0..<n { o[i] = FastMath.exp(x[i]) }
        case .log: for i in 0..<n { o[i] = FastMath.log(x[i]) }
        case .sqrt: for i in 0..<n { o[i] = x[i].squareRoot() }
        case .rsqrt: for i in 0..<n { o[i] = 1 / x[i].squareRoot() }
        case .reciprocal: for i in 0..<n { o[i] = 1 / x[i] }
        case .square: for i in 0..<n { o[i] = x[i] * x[i] }
        case .cube: for i in 0..<n { o[i] = x[i] * x[i] * x[i] }
        case .pow(let p): for i in 0..<n { o[i] = Foundation.pow(x[i], p) }
        case .abs: for i in 0..<n { o[i] = Swift.abs(x[i]) }
        case .clamp(let lo, let hi):
            // NaN stays NaN, as in PyTorch: both comparisons are false.
            for i in 0..<n { let v = x[i]; let c = v < lo ? lo : v; o[i] = c > hi ? hi : c }
        case .relu: reluRow(x, o, n)
        case .leakyRelu(let s): for i in 0..<n { o[i] = x[i] > 0 ? x[i] : x[i] * s }
        case .gelu:
            // x·Φ(x) = ½·x·erfc(−x/√2): erfc keeps relative precision for very negative x.
            for i in 0..<n { o[i] = 0.5 * x[i] * FastMath.erfc(-x[i] * invSqrt2) }
        case .geluTanh:
            // ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³): no cancellation for x ≪ 0.
            for i in 0..<n {
                let v = x[i], u = sqrt2OverPi * (v + geluC * v * v * v)
                o[i] = v * FastMath.sigmoid(2 * u)
            }
        case .tanh: for i in 0..<n { o[i] = FastMath.tanh(x[i]) }
        case .sigmoid: for i in 0..<n { o[i] = FastMath.sigmoid(x[i]) }
        case .silu:
            if let k = ElementwiseKernels.current { return k.silu(x, o, n) }
            for i in 0..<n { o[i] = x[i] * FastMath.sigmoid(x[i]) }
        }
    }

    /// o = x where x > 0, else 0 (NaN gives 0, as before). Explicit 8-lane selects: the scalar
    /// ternary compiled to a compare-and-branch per element.
    @inline(never)
    static func reluRow(_ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        let zero = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(of: zero.replacing(with: v, where: v .> zero),
                                                      as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { o[i] = x[i] > 0 ? x[i] : 0; i += 1 }
    }

    /// o = g where y > 0, else 0: ReLU's backward from its output, branch-free as `reluRow`.
    @inline(never)
    static func reluGradRow(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                            _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        let zero = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            let d = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(of: zero.replacing(with: d, where: v .> zero),
                                                      as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { o[i] = y[i] > 0 ? g[i] : 0; i += 1 }
    }

    /// o = g · f′ where `v` is the input x or the output y, as the case says.
    static func applyGrad(_ op: UnaryGrad, _ v: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                          _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        Threads.pool.parallelFor(n, grain: grain) { r in
            gradRow(op, v + r.lowerBound, g + r.lowerBound, o + r.lowerBound, r.count)
        }
    }

    @inline(never)
    static func gradRow(_ op: UnaryGrad, _ v: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                        _ o: UnsafeMutablePointer<Float>, _ n: Int) {
        switch op {
        case .expY: for i in 0..<n { o[i] = g[i] * v[i] }
        case .sqrtY: for i in 0..<n { o[i] = g[i] * 0.5 / v[i] }
        case .absX:   // sign(0) = 0, as PyTorch
            for i in 0..<n { o[i] = v[i] > 0 ? g[i] : (v[i] < 0 ? -g[i] : 0) }
        case .clampX(let lo, let hi):   // passes where lo ≤ x ≤ hi, as PyTorch
            for i in 0..<n { o[i] = v[i] >= lo && v[i] <= hi ? g[i] : 0 }
        case .reluY: reluGradRow(v, g, o, n)
        case .leakyReluX(let s): for i in 0..<n { o[i] = v[i] > 0 ? g[i] : g[i] * s }
        case .geluX:   // Φ(x) + x·φ(x)
            for i in 0..<n {
                let x = v[i]
                let cdf = 0.5 * FastMath.erfc(-x * invSqrt2)
                let pdf = invSqrt2Pi * FastMath.exp(-0.5 * x * x)
                o[i] = g[i] * (cdf + x * pdf)
            }
        case .geluTanhX:   // s + 2x·s(1 − s)·u′ with s = σ(2u), the same as PyTorch's tanh form
            for i in 0..<n {
                let x = v[i], x2 = x * x
                let s = FastMath.sigmoid(2 * sqrt2OverPi * (x + geluC * x2 * x))
                let du = sqrt2OverPi * (1 + 3 * geluC * x2)
                o[i] = g[i] * (s + 2 * x * s * (1 - s) * du)
            }
        case .tanhY: for i in 0..<n { o[i] = g[i] * (1 - v[i] * v[i]) }
        case .sigmoidY: for i in 0..<n { o[i] = g[i] * v[i] * (1 - v[i]) }
        case .siluX:   // σ(x) + x·σ(x)(1 − σ(x)) = σ(x)(1 + x(1 − σ(x))), from x: y alone cannot give σ
            if let k = ElementwiseKernels.current { return k.silu_grad(v, g, o, n) }
            for i in 0..<n {
                let x = v[i], s = FastMath.sigmoid(x)
                o[i] = g[i] * s * (1 + x * (1 - s))
            }
        }
    }
}

extension Tensor {
    /// The output of `op` with no history yet.
    private func mapped(_ op: UnaryOp) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        UnaryKernels.apply(op, data, out.data, count)
        return out
    }

    /// Records a backward that computes g · f′ from `v` (this input, or the detached output).
    private func withGrad(_ out: Tensor, _ op: UnaryGrad, from v: Tensor) -> Tensor {
        out.recordingGrad(inputs: [self]) { g in
            let gx = Tensor(uninitializedShape: g.shape)
            UnaryKernels.applyGrad(op, v.data, g.data, gx.data, g.count)
            self.accumulateGrad(gx)
        }
    }

    /// eˣ element-wise. Backward reuses the output: d/dx = eˣ.
    public func exp() -> Tensor {
        let out = mapped(.exp)
        return withGrad(out, .expY, from: out.detached())
    }

    /// Natural logarithm element-wise (−∞ at 0, NaN below).
    public func log() -> Tensor {
        let out = mapped(.log)
        return out.recordingGrad(inputs: [self]) { g in self.accumulateGrad(g / self.detached()) }
    }

    /// √x element-wise. Backward: g / (2√x), from the output.
    public func sqrt() -> Tensor {
        let out = mapped(.sqrt)
        return withGrad(out, .sqrtY, from: out.detached())
    }

    /// xᵖ element-wise. p = 2, 3, ½, −½, −1 take exact fast paths; others call powf.
    public func pow(_ p: Float) -> Tensor {
        let out: Tensor
        switch p {
        case 1: out = copy()
        case 2: out = mapped(.square)
        case 3: out = mapped(.cube)
        case 0.5: out = mapped(.sqrt)
        case -0.5: out = mapped(.rsqrt)
        case -1: out = mapped(.reciprocal)
        default: out = mapped(.pow(p))
        }
        return out.recordingGrad(inputs: [self]) { g in
            // d/dx xᵖ = p·xᵖ⁻¹; p = 0 is constant (PyTorch gives 0 there too, even at x = 0).
            if p == 0 { self.accumulateGrad(Tensor.zeros(self.shape)); return }
            let d = p == 1 ? Tensor.ones(self.shape) : self.detached().pow(p - 1)
            Kernels.mul(g.data, d.data, d.data, d.count)
            self.accumulateGrad(p == 1 ? d : d * p)
        }
    }

    /// |x| element-wise; the gradient at 0 is 0.
    public func abs() -> Tensor { withGrad(mapped(.abs), .absX, from: self) }

    /// Limits every element to [min, max] (either bound optional). The gradient passes where
    /// min ≤ x ≤ max, as in PyTorch.
    public func clamp(min lo: Float? = nil, max hi: Float? = nil) -> Tensor {
        let a = lo ?? -.infinity, b = hi ?? .infinity
        return withGrad(mapped(.clamp(a, b)), .clampX(a, b), from: self)
    }

    /// max(x, 0). Backward from the output: the gradient at x = 0 is 0.
    public func relu() -> Tensor {
        let out = mapped(.relu)
        return withGrad(out, .reluY, from: out.detached())
    }

    /// x for x > 0, slope·x otherwise.
    public func leakyRelu(slope: Float = 0.01) -> Tensor {
        withGrad(mapped(.leakyRelu(slope)), .leakyReluX(slope), from: self)
    }

    /// GELU, x·Φ(x) (PyTorch's `approximate="none"`), or with `approximate` the tanh form
    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (`approximate="tanh"`).
    public func gelu(approximate: Bool = false) -> Tensor {
        approximate ? withGrad(mapped(.geluTanh), .geluTanhX, from: self)
                    : withGrad(mapped(.gelu), .geluX, from: self)
    }

    /// SiLU (swish), x·σ(x): PyTorch's `F.silu`, the U-Net activation of DDPM. One fused pass
    /// each way instead of sigmoid, multiply and their three backward tensors.
    public func silu() -> Tensor { withGrad(mapped(.silu), .siluX, from: self) }

    /// tanh element-wise. Backward from the output: 1 − y².
    public func tanh() -> Tensor {
        let out = mapped(.tanh)
        return withGrad(out, .tanhY, from: out.detached())
    }

    /// The logistic function 1/(1 + e⁻ˣ). Backward from the output: y(1 − y).
    public func sigmoid() -> Tensor {
        let out = mapped(.sigmoid)
        return withGrad(out, .sigmoidY, from: out.detached())
    }
}
