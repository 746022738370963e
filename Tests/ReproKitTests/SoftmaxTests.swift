import XCTest
import Foundation
import ReproKit

final class SoftmaxTests: XCTestCase {
    /// softmax along `axis` computed the slow way, in Double.
    private func reference(_ x: Tensor, axis: Int, log: Bool) -> [Float] {
        let ax = axis < 0 ? axis + x.rank : axis
        let n = x.shape[ax], inner = x.shape[(ax + 1)...].reduce(1, *), outer = x.count / (n * inner)
        var out = [Float](repeating: 0, count: x.count)
        for o in 0..<outer {
            for i in 0..<inner {
                let at = (0..<n).map { (o * n + $0) * inner + i }
                let m = at.map { Double(x.data[$0]) }.max()!
                let s = at.map { Foundation.exp(Double(x.data[$0]) - m) }.reduce(0, +)
                for j in at {
                    let v = Double(x.data[j]) - m
                    out[j] = Float(log ? v - Foundation.log(s) : Foundation.exp(v) / s)
                }
            }
        }
        return out
    }

    func testValuesOnEveryAxisAndSize() {
        // Small rows, rows past the 16-wide vector loop, columns past one 256-wide block.
        for shape in [[3, 4, 5], [2, 37], [2, 300, 3], [2, 3, 300]] {
            let x = randomTensor(shape, seed: 3, scale: 3)
            for axis in [-1] + Array(0..<shape.count) {
                assertClose(x.softmax(axis: axis).scalars, reference(x, axis: axis, log: false),
                            rtol: 2e-6, atol: 1e-7, "softmax \(shape) axis \(axis)")
                assertClose(x.logSoftmax(axis: axis).scalars, reference(x, axis: axis, log: true),
                            rtol: 2e-6, atol: 2e-6, "logSoftmax \(shape) axis \(axis)")
            }
        }
    }

    func testStableForHugeInputs() {
        let x = Tensor([1000, 1001, 1002, -1000], shape: [1, 4])
        let want = reference(Tensor([0, 1, 2, -2000], shape: [1, 4]), axis: -1, log: false)
        assertClose(x.softmax().scalars, want, rtol: 1e-6, atol: 0)
        let ls = x.logSoftmax().scalars
        XCTAssertTrue(ls.allSatisfy(\.isFinite), "\(ls)")
        XCTAssertEqual(ls[2], -Float(Foundation.log(1 + Foundation.exp(-1.0) + Foundation.exp(-2.0))), accuracy: 1e-6)
    }

    func testGradientsAgainstFiniteDifferences() {
        let x = randomTensor([3, 4, 5], seed: 7)
        for axis in [-1, 0, 1] {
            assertGradients([x]) { $0[0].softmax(axis: axis) }
            assertGradients([x]) { $0[0].logSoftmax(axis: axis) }
        }
        // A long row (vector reductions) and a column count above one block.
        assertGradients([randomTensor([2, 40], seed: 8)]) { $0[0].softmax() }
        assertGradients([randomTensor([2, 40], seed: 8)]) { $0[0].logSoftmax() }
        assertGradients([randomTensor([2, 3, 260], seed: 9)]) { $0[0].softmax(axis: 1) }
        assertGradients([randomTensor([2, 3, 260], seed: 9)]) { $0[0].logSoftmax(axis: 1) }
    }

    func testMaskedPositionsGetZeroProbabilityAndGradient() throws {
        let x = randomTensor([2, 4, 4], seed: 4)
        let mask = Tensor.causalMask(4)
        assertGradients([x]) { $0[0].maskedFill(mask, -.infinity).softmax() }
        x.requiresGrad = true; x.grad = nil
        let y = x.maskedFill(mask, -.infinity).softmax()
        try (y * randomTensor([2, 4, 4], seed: 5)).sum().backward()
        for b in 0..<2 { for i in 0..<4 { for j in 0..<4 where j > i {
            XCTAssertEqual(y[b, i, j], 0)
            XCTAssertEqual(x.grad![b, i, j], 0)
        } } }
        // Along a non-last axis too (column kernels): column j keeps only rows i ≥ j.
        let yc = x.maskedFill(mask, -.infinity).softmax(axis: 1)
        XCTAssertEqual(yc[0, 0, 3], 0)
        XCTAssertEqual(yc[0, 2, 3], 0)
        XCTAssertEqual(yc[0, 3, 3], 1)
    }

    func testFullyMaskedRowGivesZerosAndNoNaN() throws {
        // Along the last axis row 1 is fully masked; along axis 0 column 0 is.
        for axis in [-1, 0] {
            let x = randomTensor([2, 3], seed: 6); x.requiresGrad = true
            let mask = axis == -1 ? Tensor([0, 1, 0, 1, 1, 1], shape: [2, 3])
                                  : Tensor([1, 0, 1, 1, 1, 0], shape: [2, 3])
            let masked = x.maskedFill(mask, -.infinity)
            let p = masked.softmax(axis: axis)
            XCTAssertTrue(p.scalars.allSatisfy { !$0.isNaN }, "\(p)")
            let g = randomTensor([2, 3], seed: 7)
            try (p * g).sum().backward()
            XCTAssertTrue(x.grad!.scalars.allSatisfy(\.isFinite), "\(x.grad!)")
            // log-softmax: −∞ where masked, finite gradient.
            let x2 = randomTensor([2, 3], seed: 6); x2.requiresGrad = true
            let lp = x2.maskedFill(mask, -.infinity).logSoftmax(axis: axis)
            XCTAssertTrue(lp.scalars.allSatisfy { !$0.isNaN }, "\(lp)")
            try lp.backward(seed: g)
            XCTAssertTrue(x2.grad!.scalars.allSatisfy(\.isFinite), "\(x2.grad!)")
            for i in 0..<6 where mask.data[i] != 0 {
                XCTAssertEqual(x.grad!.data[i], 0); XCTAssertEqual(x2.grad!.data[i], 0)
                XCTAssertEqual(lp.data[i], -.infinity)
            }
        }
        // The fully masked row of the last-axis case is all zeros.
        let p = Tensor(shape: [1, 3], repeating: -.infinity).softmax()
        XCTAssertEqual(p.scalars, [0, 0, 0])
        let pc = Tensor(shape: [3, 2], repeating: -.infinity).softmax(axis: 0)
        XCTAssertEqual(pc.scalars, [0, 0, 0, 0, 0, 0])
    }

    private func checkGolden(_ op: String, _ f: (Tensor, GoldenCase) -> Tensor) throws {
        let cases = Golden.cases(op)
        XCTAssertFalse(cases.isEmpty, op)
        for c in cases {
            let x = c.inputs["x"]!.tensor
            x.requiresGrad = true
            let y = f(x, c)
            XCTAssertEqual(y.shape, c.output.shape, c.name)
            assertClose(y.scalars, c.output.data, rtol: 1e-5, atol: 1e-6, c.name)
            try y.backward(seed: c.grad_output!.tensor)
            assertClose(x.grad!.scalars, c.grads!["x"]!.data, rtol: 1e-5, atol: 1e-6, c.name + " grad")
        }
    }

    func testSoftmaxMatchesPyTorch() throws {
        try checkGolden("softmax") { x, c in x.softmax(axis: c.int("dim")) }
        try checkGolden("log_softmax") { x, c in x.logSoftmax(axis: c.int("dim")) }
    }

    func testCausalMaskedSoftmaxMatchesPyTorch() throws {
        try checkGolden("masked_softmax") { x, c in
            XCTAssertEqual(c.bool("causal"), true)
            let t = x.shape.last!
            return x.maskedFill(Tensor.causalMask(t), -.infinity).softmax(axis: -1)
        }
    }
}
