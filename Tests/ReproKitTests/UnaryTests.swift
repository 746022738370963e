import XCTest
import Foundation
import ReproKit

final class UnaryTests: XCTestCase {
    /// Relative error of `f` against a Double reference over many points, in units of 1e-7.
    private func worstRelativeError(_ xs: [Float], _ f: (Float) -> Float, _ ref: (Double) -> Double) -> Double {
        var worst = 0.0
        for x in xs {
            let want = ref(Double(x)), got = Double(f(x))
            guard want.isFinite, Swift.abs(want) > 1e-37 else { continue }
            worst = Swift.max(worst, Swift.abs(got - want) / Swift.abs(want))
        }
        return worst
    }

    func testFastMathMatchesLibmWithinAFewUlp() {
        let wide = (0...20_000).map { Float(-100 + Double($0) * 188.7 / 20_000) }
        XCTAssertLessThan(worstRelativeError(wide, FastMath.exp, Foundation.exp), 3e-7)
        let positive = (0...20_000).map { Float(Foundation.pow(10, -40 + Double($0) * 78 / 20_000)) }
        XCTAssertLessThan(worstRelativeError(positive, FastMath.log, Foundation.log), 3e-7)
        let mid = (0...20_000).map { Float(-12 + Double($0) * 24 / 20_000) }
        XCTAssertLessThan(worstRelativeError(mid, FastMath.tanh, Foundation.tanh), 4e-7)
        XCTAssertLessThan(worstRelativeError(mid, FastMath.sigmoid, { 1 / (1 + Foundation.exp(-$0)) }), 4e-7)
        // erfc keeps relative precision far into the tail (GELU of very negative inputs).
        // (Float rounding of the exponent −x² + p costs up to ~1e-6 for |x| ≤ 3, 5e-6 at x = 9.)
        let core = (0...20_000).map { Float(-6 + Double($0) * 9 / 20_000) }
        XCTAssertLessThan(worstRelativeError(core, FastMath.erfc, Foundation.erfc), 2e-6)
        let tail = (0...20_000).map { Float(3 + Double($0) * 6 / 20_000) }
        XCTAssertLessThan(worstRelativeError(tail, FastMath.erfc, Foundation.erfc), 1e-5)
    }

    func testFastMathSpecialValues() {
        XCTAssertEqual(FastMath.exp(0), 1)
        XCTAssertEqual(FastMath.exp(-.infinity), 0)
        XCTAssertEqual(FastMath.exp(-200), 0)
        XCTAssertEqual(FastMath.exp(100), .infinity)
        XCTAssertEqual(FastMath.exp(.infinity), .infinity)
        XCTAssertTrue(FastMath.exp(.nan).isNaN)
        XCTAssertGreaterThan(FastMath.exp(-100), 0)   // subnormal, not flushed
        XCTAssertEqual(FastMath.log(1), 0)
        XCTAssertEqual(FastMath.log(0), -.infinity)
        XCTAssertEqual(FastMath.log(.infinity), .infinity)
        XCTAssertTrue(FastMath.log(-1).isNaN)
        XCTAssertTrue(FastMath.log(.nan).isNaN)
        XCTAssertEqual(FastMath.log(Float.leastNonzeroMagnitude), Float(Foundation.log(Double(Float.leastNonzeroMagnitude))),
                       accuracy: 1e-4)
        XCTAssertEqual(FastMath.tanh(50), 1)
        XCTAssertEqual(FastMath.tanh(-50), -1)
        XCTAssertEqual(FastMath.sigmoid(-200), 0)
        XCTAssertEqual(FastMath.sigmoid(200), 1)
    }

    func testValues() {
        let x = Tensor([-2, -0.5, 0, 0.5, 3])
        XCTAssertEqual(x.relu().scalars, [0, 0, 0, 0.5, 3])
        XCTAssertEqual(x.leakyRelu(slope: 0.1).scalars, [-0.2, -0.05, 0, 0.5, 3])
        XCTAssertEqual(x.abs().scalars, [2, 0.5, 0, 0.5, 3])
        XCTAssertEqual(x.clamp(min: -1, max: 1).scalars, [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(x.clamp(min: 0).scalars, [0, 0, 0, 0.5, 3])
        XCTAssertEqual(x.clamp(max: 0).scalars, [-2, -0.5, 0, 0, 0])
        assertClose(x.exp().scalars, x.scalars.map { Foundation.exp($0) }, rtol: 3e-7, atol: 0)
        assertClose(x.tanh().scalars, x.scalars.map { Foundation.tanh($0) }, rtol: 3e-7, atol: 1e-7)
        assertClose(x.sigmoid().scalars, x.scalars.map { 1 / (1 + Foundation.exp(-$0)) }, rtol: 3e-7, atol: 0)
        let p = Tensor([0.25, 1, 2, 9])
        XCTAssertEqual(p.sqrt().scalars, [0.5, 1, Float(2).squareRoot(), 3])
        assertClose(p.log().scalars, p.scalars.map { Foundation.log($0) }, rtol: 3e-7, atol: 1e-7)
        XCTAssertEqual(p.pow(2).scalars, [0.0625, 1, 4, 81])
        XCTAssertEqual(p.pow(3).scalars, [0.015625, 1, 8, 729])
        XCTAssertEqual(p.pow(0.5).scalars, [0.5, 1, Float(2).squareRoot(), 3])
        XCTAssertEqual(p.pow(-1).scalars, [4, 1, 0.5, 1 / Float(9)])
        XCTAssertEqual(p.pow(-0.5).scalars, [2, 1, 1 / Float(2).squareRoot(), 1 / Float(3)])
        XCTAssertEqual(p.pow(1).scalars, p.scalars)
        XCTAssertEqual(p.pow(0).scalars, [1, 1, 1, 1])
        assertClose(p.pow(1.7).scalars, p.scalars.map { Foundation.pow($0, 1.7) }, rtol: 1e-6, atol: 0)
        // Long enough to run on both threads and through the vector loops' tails.
        let big = randomTensor([100_003], seed: 5, scale: 3)
        let want = big.scalars.map { Foundation.tanh($0) }
        assertClose(big.tanh().scalars, want, rtol: 5e-7, atol: 1e-7, "tanh")
    }

    func testGradientsAgainstFiniteDifferences() {
        let x = randomTensor([3, 5], seed: 11)
        assertGradients([x]) { $0[0].exp() }
        assertGradients([x]) { $0[0].tanh() }
        assertGradients([x]) { $0[0].sigmoid() }
        assertGradients([x]) { $0[0].gelu() }
        assertGradients([x]) { $0[0].gelu(approximate: true) }
        assertGradients([x]) { $0[0].silu() }
        assertGradients([x]) { $0[0].pow(2) }
        assertGradients([x]) { $0[0].pow(3) }
        assertGradients([x]) { $0[0].pow(1) }
        // Wide inputs for GELU: both tails and the middle.
        let wide = Tensor((0..<25).map { Float($0) * 0.5 - 6.1 })
        assertGradients([wide]) { $0[0].gelu() }
        assertGradients([wide]) { $0[0].gelu(approximate: true) }
        assertGradients([wide]) { $0[0].silu() }
        // Positive inputs for log, sqrt and real powers.
        let pos = randomTensor([3, 5], seed: 12).abs() + 0.5
        assertGradients([pos]) { $0[0].log() }
        assertGradients([pos]) { $0[0].sqrt() }
        assertGradients([pos]) { $0[0].pow(0.5) }
        assertGradients([pos]) { $0[0].pow(-0.5) }
        assertGradients([pos]) { $0[0].pow(-1) }
        assertGradients([pos]) { $0[0].pow(1.7) }
        // Piecewise ops: every input at least 0.1 from a kink (h = 0.01).
        let kinked = Tensor([-2.1, -1.3, -0.7, -0.25, 0.2, 0.55, 0.8, 1.35, 1.9, -0.9], shape: [2, 5])
        assertGradients([kinked]) { $0[0].relu() }
        assertGradients([kinked]) { $0[0].leakyRelu(slope: 0.2) }
        assertGradients([kinked]) { $0[0].abs() }
        assertGradients([kinked]) { $0[0].clamp(min: -1, max: 1) }
        assertGradients([kinked]) { $0[0].clamp(min: 0.5) }
        assertGradients([kinked]) { $0[0].clamp(max: -0.5) }
    }

    /// SiLU's forward and backward against x·σ(x) and σ(x)(1 + x(1 − σ(x))) in Double, on
    /// enough elements to split over threads and run the loops' tails, out to both saturations.
    func testSiluMatchesDoubleReference() throws {
        func sigma(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        let x = randomTensor([100_003], seed: 21, scale: 6)
        x.requiresGrad = true
        let y = x.silu()
        let g = randomTensor([100_003], seed: 22)
        try y.backward(seed: g)
        let xs = x.scalars.map(Double.init)
        assertClose(y.scalars, xs.map { Float($0 * sigma($0)) }, rtol: 1e-6, atol: 1e-7, "silu")
        let want = zip(xs, g.scalars).map { v, gi in
            Float(Double(gi) * sigma(v) * (1 + v * (1 - sigma(v))))
        }
        assertClose(x.grad!.scalars, want, rtol: 2e-6, atol: 1e-7, "silu grad")

        // Known values: 0 at 0, x far right, −0 far left (not NaN from ∞·0), NaN stays NaN;
        // the slope is ½ at 0. Twice, at 0..<8 (the vectorised loop) and 8..<14 (its scalar tail).
        let known: [Float] = [0, 1, -1, 30, -200, .nan]
        let v = Tensor(known + [2, 3] + known)
        v.requiresGrad = true
        let s = v.silu()
        try s.sum().backward()
        for base in [0, 8] {
            XCTAssertEqual(Array(s.scalars[base..<base + 5]), [0, Float(1 / (1 + Foundation.exp(-1.0))),
                                                               Float(-1 / (1 + Foundation.exp(1.0))), 30, 0], "at \(base)")
            XCTAssertTrue(s.scalars[base + 5].isNaN, "at \(base)")
            XCTAssertEqual(v.grad!.scalars[base], 0.5, "at \(base)")
            XCTAssertEqual(v.grad!.scalars[base + 3], 1, "at \(base)")
            XCTAssertEqual(v.grad!.scalars[base + 4], 0, "at \(base)")
            XCTAssertTrue(v.grad!.scalars[base + 5].isNaN, "at \(base)")
        }
        // Its minimum, −0.278464…, at x = −1.278464…, on both paths.
        for y in Tensor([Float](repeating: -1.278_464_5, count: 9)).silu().scalars {
            XCTAssertEqual(y, -0.278_464_5, accuracy: 1e-6)
        }
        // The layer is the op.
        XCTAssertEqual(SiLU()(Tensor([-2, 0.5])).scalars, Tensor([-2, 0.5]).silu().scalars)
    }

    func testGradientConventionsAtKinks() throws {
        // PyTorch's: relu′(0) = 0, |x|′(0) = 0, clamp passes at its bounds, pow(x, 0)′ = 0.
        let x = Tensor([0, 1, -1]); x.requiresGrad = true
        try x.relu().sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 1, 0])
        x.zeroGrad()
        try x.abs().sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 1, -1])
        x.zeroGrad()
        try x.clamp(min: -1, max: 0).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [1, 0, 1])
        x.zeroGrad()
        try x.pow(0).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 0, 0])
    }

    func testGeluMatchesPyTorch() throws {
        let cases = Golden.cases("gelu")
        XCTAssertFalse(cases.isEmpty)
        XCTAssertEqual(Set(cases.compactMap { $0.string("approximate") }), ["none", "tanh"])
        for c in cases {
            let x = c.inputs["x"]!.tensor
            x.requiresGrad = true
            let y = x.gelu(approximate: c.string("approximate") == "tanh")
            XCTAssertEqual(y.shape, c.output.shape)
            assertClose(y.scalars, c.output.data, rtol: 1e-5, atol: 1e-6, c.name)
            try y.backward(seed: c.grad_output!.tensor)
            assertClose(x.grad!.scalars, c.grads!["x"]!.data, rtol: 1e-5, atol: 1e-6, c.name + " grad")
        }
    }
}
