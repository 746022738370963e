import XCTest
import ReproKit

/// Checks an op's backward against central finite differences.
///
/// `f` builds a tensor from the inputs with ordinary ops; the check reduces it to the scalar
/// L = Σ f(x) ⊙ w with a fixed random weight w (so every output element matters
/// differently), back-propagates, and compares each input gradient element with
/// (L(x + h) − L(x − h)) / 2h, the sums taken in Double.
func assertGradients(_ inputs: [Tensor], h: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
                     file: StaticString = #filePath, line: UInt = #line,
                     _ f: ([Tensor]) -> Tensor) {
    for x in inputs { x.requiresGrad = true; x.grad = nil }
    let y0 = f(inputs)
    var rng = RNG(seed: 99)
    let w = Tensor.randn(y0.shape, rng: &rng)
    let loss = (y0 * w).sum()
    XCTAssertNoThrow(try loss.backward(), file: file, line: line)

    func objective() -> Double {
        withNoGrad {
            let y = f(inputs)
            var s = 0.0
            for i in 0..<y.count { s += Double(y.data[i]) * Double(w.data[i]) }
            return s
        }
    }
    for (which, x) in inputs.enumerated() {
        guard let g = x.grad else {
            XCTFail("input \(which) got no gradient", file: file, line: line); continue
        }
        XCTAssertEqual(g.shape, x.shape, "input \(which) gradient shape", file: file, line: line)
        var worst = 0
        for i in 0..<x.count {
            let saved = x.data[i]
            x.data[i] = saved + h; let up = objective()
            x.data[i] = saved - h; let down = objective()
            x.data[i] = saved
            let numeric = Float((up - down) / Double(2 * h))
            let analytic = g.data[i]
            if abs(numeric - analytic) > atol + rtol * abs(numeric) {
                worst += 1
                if worst <= 3 {
                    XCTFail("input \(which) element \(i): analytic \(analytic), numeric \(numeric)",
                            file: file, line: line)
                }
            }
        }
    }
}

/// A tensor of N(0, 1) samples from a fixed seed, for tests.
func randomTensor(_ shape: [Int], seed: UInt64 = 1, scale: Float = 1) -> Tensor {
    var rng = RNG(seed: seed)
    return Tensor.randn(shape, std: scale, rng: &rng)
}

/// Asserts two arrays agree within atol + rtol·|expected| element-wise.
func assertClose(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-5,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(message): element count", file: file, line: line)
    var failures = 0
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= atol + rtol * abs(e)) {
        failures += 1
        if failures <= 3 { XCTFail("\(message)[\(i)]: got \(a), expected \(e)", file: file, line: line) }
    }
}
