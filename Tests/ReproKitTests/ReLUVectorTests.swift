import XCTest
import ReproKit

/// ReLU runs 8 lanes at a time plus a scalar tail: check both parts element by element,
/// including NaN (→ 0, as before) and −0.
final class ReLUVectorTests: XCTestCase {
    func testForwardAndBackwardMatchScalarRule() throws {
        let n = 37   // four 8-lane blocks and a tail of 5
        var xs = (0..<n).map { Float($0 % 7) - 3.2 + Float($0) * 0.01 }
        xs[3] = .nan; xs[9] = -0.0; xs[34] = .nan; xs[35] = 0
        let gs = (0..<n).map { Float($0) * 0.5 + 1 }
        let x = Tensor(xs, shape: [n])
        x.requiresGrad = true
        let y = x.relu()
        let want = xs.map { $0 > 0 ? $0 : 0 }
        XCTAssertEqual(y.scalars, want)
        try y.backward(seed: Tensor(gs, shape: [n]))
        let gx = try XCTUnwrap(x.grad).scalars
        XCTAssertEqual(gx, (0..<n).map { want[$0] > 0 ? gs[$0] : 0 })
    }
}
