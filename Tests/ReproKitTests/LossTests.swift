import XCTest
import Foundation
import ReproKit

final class LossTests: XCTestCase {
    // MARK: cross-entropy

    func testCrossEntropyGolden() throws {
        let cases = Golden.cases("cross_entropy")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let logits = c.inputs["logits"]!.tensor
            logits.requiresGrad = true
            let targets = c.inputs["target"]!.ints
            let loss = crossEntropy(logits, targets: targets, labelSmoothing: c.float("label_smoothing"),
                                    ignoreIndex: c.int("ignore_index"))
            XCTAssertEqual(loss.shape, [])
            // Logits up to ~100 (×50 cases): the loss is a difference of numbers that size.
            assertClose(loss.scalars, c.output.data, rtol: 1e-5, atol: 2e-5, "\(c.name) loss")
            try loss.backward(seed: c.grad_output!.tensor)
            assertClose(logits.grad!.scalars, c.grads!["logits"]!.data, rtol: 1e-4, atol: 1e-6, "\(c.name) dlogits")
        }
    }

    func testCrossEntropyGradients() {
        let targets = [2, -100, 0, 4, 1, -100]
        for smoothing: Float in [0, 0.1, 0.3] {
            assertGradients([randomTensor([6, 5], seed: 1, scale: 2)]) {
                crossEntropy($0[0], targets: targets, labelSmoothing: smoothing)
            }
        }
        // A custom ignore index, and a wide row (SIMD path of max/sum).
        assertGradients([randomTensor([3, 19], seed: 2)]) {
            crossEntropy($0[0], targets: [18, 7, 0], labelSmoothing: 0.2, ignoreIndex: 7)
        }
    }

    func testCrossEntropyValueByHand() {
        // Two rows, one ignored: loss = −log softmax(x)_t of the other row.
        let logits = Tensor([1, 2, 3, 9, 9, 9], shape: [2, 3])
        let loss = crossEntropy(logits, targets: [0, -100])
        let expected = -(1.0 - Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0)))
        XCTAssertEqual(Double(loss.item()), expected, accuracy: 1e-6)
        // Label smoothing 1: the mean of −log p over classes.
        let smooth = crossEntropy(logits, targets: [1, -100], labelSmoothing: 1)
        let lse = Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0))
        XCTAssertEqual(Double(smooth.item()), ((lse - 1) + (lse - 2) + (lse - 3)) / 3, accuracy: 1e-6)
    }

    /// Documented choice: with every row ignored the loss is 0 (not PyTorch's NaN), gradient 0.
    func testCrossEntropyAllIgnoredIsZero() throws {
        let logits = randomTensor([3, 4])
        logits.requiresGrad = true
        let loss = crossEntropy(logits, targets: [-100, -100, -100])
        XCTAssertEqual(loss.item(), 0)
        try loss.backward()
        XCTAssertEqual(logits.grad!.scalars, [Float](repeating: 0, count: 12))
    }

    func testCrossEntropyHugeLogitsStayFinite() throws {
        let logits = Tensor([1e4, -1e4, 0, 3e4, 3e4 - 2, -5e4], shape: [2, 3])
        logits.requiresGrad = true
        let loss = crossEntropy(logits, targets: [1, 1], labelSmoothing: 0.1)
        XCTAssertTrue(loss.item().isFinite)
        // Row 0: −log p_1 ≈ 2e4; row 1: −log p_1 = log(1 + e²) ≈ 2.127; smoothing adds ε/K Σ_k.
        let row0 = 0.9 * 2e4 + 0.1 / 3 * (0 + 2e4 + 1e4)
        let l1 = Foundation.log(1 + Foundation.exp(2.0))
        let row1 = 0.9 * l1 + 0.1 / 3 * ((l1 - 2) + l1 + (8e4 + l1 - 2))
        XCTAssertEqual(Double(loss.item()), (row0 + row1) / 2, accuracy: 2)
        try loss.backward()
        XCTAssertTrue(logits.grad!.scalars.allSatisfy { $0.isFinite })
    }

    /// Rows across threads: mean of per-row losses against a Double reference.
    func testCrossEntropyManyRows() {
        let n = 2048, k = 10
        let logits = randomTensor([n, k], seed: 3, scale: 3)
        let targets = (0..<n).map { $0 % 13 == 0 ? -100 : ($0 * 7) % k }
        let loss = crossEntropy(logits, targets: targets)
        let x = logits.scalars
        var total = 0.0, valid = 0
        for i in 0..<n where targets[i] != -100 {
            let row = x[(i * k)..<((i + 1) * k)].map(Double.init)
            let m = row.max()!
            let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            total += lse - row[targets[i]]; valid += 1
        }
        XCTAssertEqual(Double(loss.item()), total / Double(valid), accuracy: 1e-5)
    }

    // MARK: MSE

    func testMSEGolden() throws {
        let cases = Golden.cases("mse_loss")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let input = c.inputs["input"]!.tensor, target = c.inputs["target"]!.tensor
            input.requiresGrad = true; target.requiresGrad = true
            let loss = mseLoss(input, target)
            assertClose(loss.scalars, c.output.data, "\(c.name) loss")
            try loss.backward(seed: c.grad_output!.tensor)
            assertClose(input.grad!.scalars, c.grads!["input"]!.data, "\(c.name) dinput")
            assertClose(target.grad!.scalars, c.grads!["target"]!.data, "\(c.name) dtarget")
        }
    }

    func testMSEGradients() {
        assertGradients([randomTensor([3, 5], seed: 4), randomTensor([3, 5], seed: 5)]) { mseLoss($0[0], $0[1]) }
    }

    // MARK: BCE with logits

    func testBCEWithLogitsGradients() {
        var rng = RNG(seed: 77)
        let targets = Tensor.uniform([4, 3], rng: &rng)
        assertGradients([randomTensor([4, 3], seed: 6, scale: 3), targets]) {
            binaryCrossEntropyWithLogits($0[0], $0[1])
        }
    }

    func testBCEWithLogitsValuesAndStability() throws {
        let x = Tensor([-200, -3, -0.5, 0, 0.7, 4, 200, 30])
        let y = Tensor([0, 1, 0.3, 1, 0, 0.5, 1, 0])
        x.requiresGrad = true
        let loss = binaryCrossEntropyWithLogits(x, y)
        var expected = 0.0, grads: [Double] = []
        for (xv, yv) in zip(x.scalars.map(Double.init), y.scalars.map(Double.init)) {
            // log σ(x) and log(1 − σ(x)) in a stable Double form.
            let logSig = -Foundation.log1p(Foundation.exp(-abs(xv))) + min(xv, 0)
            let logOneMinus = -Foundation.log1p(Foundation.exp(-abs(xv))) - max(xv, 0)
            expected += -(yv * logSig + (1 - yv) * logOneMinus)
            grads.append((1 / (1 + Foundation.exp(-xv)) - yv) / 8)
        }
        XCTAssertEqual(Double(loss.item()), expected / 8, accuracy: 1e-5 * max(1, expected / 8))
        try loss.backward()
        assertClose(x.grad!.scalars, grads.map(Float.init), rtol: 1e-5, atol: 1e-7, "dlogits")
    }
}
