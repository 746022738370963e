import XCTest
import ReproKit

/// Distinct values 0.1 apart in a seeded random order: no ties, and no argmax flips under a
/// finite-difference step of 1e-2.
private func distinctTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RNG(seed: seed)
    let n = shape.reduce(1, *)
    let order = rng.permutation(n)
    return Tensor(order.map { Float($0) * 0.1 - Float(n) * 0.05 }, shape: shape)
}

final class PoolingTests: XCTestCase {
    func testMaxPoolGradientsAgainstFiniteDifferences() {
        let x = distinctTensor([2, 3, 6, 7], seed: 1)
        assertGradients([x]) { maxPool2d($0[0], kernel: (2, 2)) }                            // floor: drops last column
        assertGradients([x]) { maxPool2d($0[0], kernel: (3, 3), stride: (2, 2)) }            // overlapping windows
        assertGradients([x]) { maxPool2d($0[0], kernel: (3, 2), stride: (2, 1), padding: (1, 1)) }
        // Rows wide enough for the four-at-a-time loops, stride 1 and 2, with and without padding.
        let wide = distinctTensor([1, 2, 7, 21], seed: 2)
        assertGradients([wide]) { maxPool2d($0[0], kernel: (3, 3), stride: (2, 2)) }
        assertGradients([wide]) { maxPool2d($0[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        assertGradients([wide]) { maxPool2d($0[0], kernel: (2, 3), stride: (1, 1), padding: (1, 1)) }
        assertGradients([wide]) { maxPool2d($0[0], kernel: (2, 3), stride: (1, 3)) }
    }

    func testMaxPoolPropagatesNaN() {
        var values = (0..<40).map(Float.init)
        values[13] = .nan
        let x = Tensor(values, shape: [1, 1, 2, 20])
        let y = maxPool2d(x, kernel: (2, 2)).scalars
        XCTAssertEqual(y.count, 10)
        for (j, v) in y.enumerated() {
            if j == 6 { XCTAssertTrue(v.isNaN) } else { XCTAssertEqual(v, Float(21 + 2 * j)) }
        }
    }

    func testMaxPoolTiesSendGradientToFirstMaximumOnly() {
        // A constant input ties every window; each window's gradient must land on exactly one
        // element, the first in row-major order, and the total must be preserved.
        for width in [5, 12] {
            let x = Tensor(shape: [1, 1, 4, width], repeating: 3); x.requiresGrad = true
            let y = maxPool2d(x, kernel: (2, 2), stride: (2, 2), padding: (1, 1))
            let wo = width / 2 + 1
            XCTAssertEqual(y.shape, [1, 1, 3, wo])
            XCTAssertEqual(y.scalars, [Float](repeating: 3, count: 3 * wo))
            let g = Tensor((1...(3 * wo)).map(Float.init), shape: y.shape)
            XCTAssertNoThrow(try y.backward(seed: g))
            let gx = x.grad!.scalars
            XCTAssertEqual(gx.reduce(0, +), g.scalars.reduce(0, +))
            // Window (i, j) covers rows 2i-1..2i, cols 2j-1..2j; its first in-bounds element is
            // at (max(2i-1, 0), max(2j-1, 0)).
            var expected = [Float](repeating: 0, count: 4 * width)
            for i in 0..<3 {
                for j in 0..<wo { expected[max(2 * i - 1, 0) * width + max(2 * j - 1, 0)] += Float(i * wo + j + 1) }
            }
            XCTAssertEqual(gx, expected, "width \(width)")
            XCTAssertEqual(gx.filter { $0 != 0 }.count, 3 * wo)
        }
    }

    func testMaxPoolPaddingNeverWins() {
        let x = Tensor([-5, -4, -3, -2], shape: [1, 1, 2, 2])
        let y = maxPool2d(x, kernel: (2, 2), stride: (1, 1), padding: (1, 1))
        XCTAssertEqual(y.scalars, [-5, -4, -4, -3, -2, -2, -3, -2, -2])
    }

    func testAvgPoolGradientsAgainstFiniteDifferences() {
        let x = randomTensor([2, 3, 6, 7], seed: 2)
        assertGradients([x]) { avgPool2d($0[0], kernel: (2, 2)) }
        assertGradients([x]) { avgPool2d($0[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        assertGradients([x]) { avgPool2d($0[0], kernel: (3, 2), stride: (2, 1), padding: (1, 1), countIncludePad: false) }
    }

    func testAvgPoolPaddingCounts() {
        let x = Tensor.ones([1, 1, 3, 3])
        // Corner windows hold one real element, edge windows two, inner windows four.
        XCTAssertEqual(avgPool2d(x, kernel: (2, 2), stride: (1, 1), padding: (1, 1)).scalars,
                       [0.25, 0.5, 0.5, 0.25, 0.5, 1, 1, 0.5, 0.5, 1, 1, 0.5, 0.25, 0.5, 0.5, 0.25])
        XCTAssertEqual(avgPool2d(x, kernel: (2, 2), stride: (1, 1), padding: (1, 1), countIncludePad: false).scalars,
                       [Float](repeating: 1, count: 16))
    }

    func testAdaptiveAvgPoolGradientsAgainstFiniteDifferences() {
        let x = randomTensor([2, 3, 7, 5], seed: 3)
        assertGradients([x]) { adaptiveAvgPool2d($0[0], outputSize: (3, 2)) }   // overlapping windows
        assertGradients([x]) { adaptiveAvgPool2d($0[0], outputSize: (1, 1)) }   // global fast path
        assertGradients([x]) { adaptiveAvgPool2d($0[0], outputSize: (7, 5)) }   // identity
        assertGradients([x]) { adaptiveAvgPool2d($0[0], outputSize: (9, 4)) }   // upsampling rows
    }

    func testGlobalAvgPoolValues() {
        let x = Tensor((0..<8).map(Float.init), shape: [1, 2, 2, 2])
        XCTAssertEqual(adaptiveAvgPool2d(x, outputSize: (1, 1)).scalars, [1.5, 5.5])
    }

    func testUpsampleNearest() {
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        let y = upsampleNearest2d(x, scale: 2)
        XCTAssertEqual(y.shape, [1, 1, 4, 4])
        XCTAssertEqual(y.scalars, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        assertGradients([randomTensor([2, 3, 3, 4], seed: 4)]) { upsampleNearest2d($0[0], scale: 3) }
        // Scale 2 has a loop of its own (the U-Net's): odd sizes, several planes.
        assertGradients([randomTensor([2, 3, 3, 5], seed: 5)]) { upsampleNearest2d($0[0], scale: 2) }
    }

    func testLocalResponseNormGradientsAgainstFiniteDifferences() {
        // Strong alpha so the normalisation term matters; even and odd window sizes.
        let x = randomTensor([2, 7, 3, 4], seed: 5, scale: 2)
        assertGradients([x]) { localResponseNorm($0[0], size: 5, alpha: 0.5, beta: 0.75, k: 1) }
        assertGradients([x]) { localResponseNorm($0[0], size: 4, alpha: 0.3, beta: 0.6, k: 2) }
        assertGradients([x]) { localResponseNorm($0[0], size: 3, alpha: 0.4, beta: 0.75, k: 1.5) }
        assertGradients([x]) { localResponseNorm($0[0], size: 1, alpha: 0.2, beta: 1, k: 1) }
    }

    func testMaxPoolGolden() {
        let cases = Golden.cases("max_pool2d")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            assertGoldenCase(c) { c, t in
                maxPool2d(t["x"]!, kernel: c.pair("kernel"), stride: c.pair("stride"), padding: c.pair("padding"))
            }
        }
    }

    func testAvgPoolGolden() {
        let cases = Golden.cases("avg_pool2d")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            assertGoldenCase(c) { c, t in
                avgPool2d(t["x"]!, kernel: c.pair("kernel"), stride: c.pair("stride"), padding: c.pair("padding"),
                          countIncludePad: c.bool("count_include_pad") ?? true)
            }
        }
    }

    func testAdaptiveAvgPoolGolden() {
        let cases = Golden.cases("adaptive_avg_pool2d")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            assertGoldenCase(c) { c, t in adaptiveAvgPool2d(t["x"]!, outputSize: c.pair("output_size")) }
        }
    }

    func testLocalResponseNormGolden() {
        let cases = Golden.cases("local_response_norm")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            assertGoldenCase(c, rtol: 1e-5, atol: 1e-5) { c, t in
                localResponseNorm(t["x"]!, size: c.int("size"), alpha: c.float("alpha"), beta: c.float("beta"),
                                  k: c.float("k"))
            }
        }
    }
}
