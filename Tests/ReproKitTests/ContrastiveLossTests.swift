import XCTest
import Foundation
import ReproKit

final class ContrastiveLossTests: XCTestCase {
    /// The loss against a plain Double computation of the definition.
    func testValueMatchesDefinition() {
        let img = randomTensor([4, 3], seed: 1), txt = randomTensor([4, 3], seed: 2)
        let scale: Double = 1 / 0.07
        let loss = ContrastiveLoss()(image: img, text: txt).item()
        func normalized(_ t: Tensor) -> [[Double]] {
            (0..<4).map { r in
                let row = (0..<3).map { Double(t[r, $0]) }
                let n = row.map { $0 * $0 }.reduce(0, +).squareRoot()
                return row.map { $0 / n }
            }
        }
        let a = normalized(img), b = normalized(txt)
        var logits = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        for r in 0..<4 { for c in 0..<4 { logits[r][c] = scale * zip(a[r], b[c]).map { $0 * $1 }.reduce(0, +) } }
        func ce(_ m: [[Double]]) -> Double {
            (0..<4).map { r in
                let mx = m[r].max()!
                return -(m[r][r] - mx - Foundation.log(m[r].map { Foundation.exp($0 - mx) }.reduce(0, +)))
            }.reduce(0, +) / 4
        }
        let transposed = (0..<4).map { c in (0..<4).map { r in logits[r][c] } }
        let expected = 0.5 * (ce(logits) + ce(transposed))
        XCTAssertEqual(Double(loss), expected, accuracy: 1e-4 * max(1, expected))
    }

    func testGradientsIncludingTemperature() {
        let img = randomTensor([5, 4], seed: 3), txt = randomTensor([5, 4], seed: 4)
        let scale = Tensor(scalar: 1.2)
        assertGradients([img, txt, scale], h: 1e-2) { contrastiveLoss(image: $0[0], text: $0[1], scale: $0[2].exp()) }
    }

    func testPerfectAlignmentGivesLowLossAndTemperatureIsClipped() throws {
        let x = randomTensor([8, 16], seed: 5)
        let m = ContrastiveLoss()
        XCTAssertLessThan(m(image: x, text: x).item(), 0.01)
        XCTAssertEqual(m.namedParameters().map(\.0), ["logit_scale"])
        XCTAssertEqual(m.logit_scale.item(), Foundation.log(1 / 0.07), accuracy: 1e-6)
        // Past log(100) the scale stops growing and the temperature gets no gradient.
        m.logit_scale.assign(Tensor(scalar: 6))
        let y = randomTensor([8, 16], seed: 6)
        let loss = m(image: x, text: y)
        try loss.backward()
        XCTAssertEqual(m.logit_scale.grad?.item(), 0)
    }
}
