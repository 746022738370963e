import XCTest
import ReproKit

final class DropoutTests: XCTestCase {
    func testEvalAndZeroPAreIdentity() {
        let x = randomTensor([3, 4])
        var rng = RNG(seed: 1)
        XCTAssertTrue(dropout(x, p: 0.5, training: false, rng: &rng) === x)
        XCTAssertTrue(dropout(x, p: 0, training: true, rng: &rng) === x)
        XCTAssertEqual(rng, RNG(seed: 1), "identity draws nothing")
    }

    func testTrainingKeepsAboutOneMinusPScaled() {
        let n = 100_000
        let x = randomTensor([n], seed: 2).affine(scale: 1, shift: 10)   // no zeros in x
        for p: Float in [0.1, 0.5, 0.8] {
            var rng = RNG(seed: 3)
            let y = dropout(x, p: p, training: true, rng: &rng)
            XCTAssertEqual(rng.counter, UInt64(n), "advances by one draw per element")
            var kept = 0
            for i in 0..<n where y.data[i] != 0 {
                kept += 1
                XCTAssertEqual(y.data[i], x.data[i] / (1 - p), accuracy: 1e-5 * abs(y.data[i]))
            }
            // Binomial: sd = √(n·p·(1−p)) ≤ 158; allow 5 sd.
            XCTAssertEqual(Double(kept), Double(n) * Double(1 - p), accuracy: 800, "p = \(p)")
        }
    }

    func testSameSeedSameMaskDifferentSeedDifferentMask() {
        let x = Tensor.ones([1000])
        var a = RNG(seed: 7), b = RNG(seed: 7), c = RNG(seed: 8)
        let ya = dropout(x, p: 0.5, training: true, rng: &a)
        let yb = dropout(x, p: 0.5, training: true, rng: &b)
        let yc = dropout(x, p: 0.5, training: true, rng: &c)
        XCTAssertEqual(ya.scalars, yb.scalars)
        XCTAssertNotEqual(ya.scalars, yc.scalars)
        // The next call from the same generator draws a fresh mask.
        let ya2 = dropout(x, p: 0.5, training: true, rng: &a)
        XCTAssertNotEqual(ya.scalars, ya2.scalars)
    }

    func testPOneDropsEverything() {
        var rng = RNG(seed: 4)
        let y = dropout(randomTensor([50]), p: 1, training: true, rng: &rng)
        XCTAssertEqual(y.scalars, [Float](repeating: 0, count: 50))
    }

    func testGradientIsTheSameMaskScaled() throws {
        let x = randomTensor([4, 5], seed: 5)
        assertGradients([x]) { t in
            var rng = RNG(seed: 6)     // fixed: every evaluation uses the same mask
            return dropout(t[0], p: 0.4, training: true, rng: &rng)
        }
        x.grad = nil
        var rng = RNG(seed: 6)
        let y = dropout(x, p: 0.4, training: true, rng: &rng)
        try y.sum().backward()
        for i in 0..<x.count {
            XCTAssertEqual(x.grad!.data[i], y.data[i] == 0 ? 0 : 1 / 0.6, accuracy: 1e-6)
        }
    }
}
