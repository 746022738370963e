import XCTest
import ReproKit

final class NormalizationTests: XCTestCase {
    // MARK: batch norm

    func testBatchNormTrainGradients2D() {
        let x = randomTensor([6, 3], seed: 1, scale: 2)
        let w = randomTensor([3], seed: 2).affine(scale: 0.5, shift: 1)
        let b = randomTensor([3], seed: 3)
        assertGradients([x, w, b]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true)
        }
    }

    func testBatchNormTrainGradients4DAnd3D() {
        let w = randomTensor([2], seed: 2).affine(scale: 0.5, shift: 1)
        let b = randomTensor([2], seed: 3)
        assertGradients([randomTensor([3, 2, 2, 3], seed: 4, scale: 1.5), w, b]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true)
        }
        assertGradients([randomTensor([2, 2, 5], seed: 5), w, b]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true)
        }
        // Without affine parameters.
        assertGradients([randomTensor([3, 2, 4], seed: 6)]) {
            batchNorm($0[0], weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true)
        }
    }

    func testBatchNormEvalGradients() {
        let rm = Tensor([0.3, -0.2]), rv = Tensor([0.7, 1.9])
        assertGradients([randomTensor([2, 2, 3], seed: 7), randomTensor([2], seed: 8), randomTensor([2], seed: 9)]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv, training: false)
        }
        assertGradients([randomTensor([4, 2], seed: 7)]) {
            batchNorm($0[0], weight: nil, bias: nil, runningMean: rm, runningVar: rv, training: false)
        }
    }

    func testBatchNormTrainGolden() throws {
        let cases = Golden.cases("batch_norm_train")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let x = c.inputs["x"]!.tensor, w = c.inputs["weight"]!.tensor, b = c.inputs["bias"]!.tensor
            for t in [x, w, b] { t.requiresGrad = true }
            let channels = x.shape[1]
            let rm = Tensor.zeros([channels]), rv = Tensor.ones([channels])
            let y = batchNorm(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: true,
                              momentum: c.float("momentum"), eps: c.float("eps"))
            assertClose(y.scalars, c.output.data, rtol: 1e-4, atol: 1e-5, "\(c.name) output")
            assertClose(rm.scalars, c.extra["running_mean"]!.data, "\(c.name) running_mean")
            assertClose(rv.scalars, c.extra["running_var"]!.data, "\(c.name) running_var")
            try y.backward(seed: c.grad_output!.tensor)
            assertClose(x.grad!.scalars, c.grads!["x"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dx")
            assertClose(w.grad!.scalars, c.grads!["weight"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dweight")
            assertClose(b.grad!.scalars, c.grads!["bias"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dbias")
        }
    }

    func testBatchNormEvalGolden() throws {
        let cases = Golden.cases("batch_norm_eval")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let x = c.inputs["x"]!.tensor, w = c.inputs["weight"]!.tensor, b = c.inputs["bias"]!.tensor
            for t in [x, w, b] { t.requiresGrad = true }
            let rm = c.inputs["running_mean"]!.tensor, rv = c.inputs["running_var"]!.tensor
            let rmBefore = rm.scalars, rvBefore = rv.scalars
            let y = batchNorm(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: false,
                              eps: c.float("eps"))
            assertClose(y.scalars, c.output.data, rtol: 1e-5, atol: 1e-5, "\(c.name) output")
            XCTAssertEqual(rm.scalars, rmBefore, "eval must not touch running stats")
            XCTAssertEqual(rv.scalars, rvBefore, "eval must not touch running stats")
            try y.backward(seed: c.grad_output!.tensor)
            assertClose(x.grad!.scalars, c.grads!["x"]!.data, rtol: 1e-5, atol: 1e-5, "\(c.name) dx")
            assertClose(w.grad!.scalars, c.grads!["weight"]!.data, rtol: 1e-4, atol: 1e-5, "\(c.name) dweight")
            assertClose(b.grad!.scalars, c.grads!["bias"]!.data, rtol: 1e-4, atol: 1e-5, "\(c.name) dbias")
        }
    }

    /// Shapes large enough to split across threads, both the [N, C] column path and the
    /// [N, C, H, W] segment path, against a Double reference; also the running-stat rule.
    func testBatchNormLargeAgainstReference() {
        for shape in [[4096, 16], [16, 8, 32, 32]] {
            let x = randomTensor(shape, seed: 11, scale: 3).affine(scale: 1, shift: 5)
            let n = shape[0], c = shape[1], inner = shape.dropFirst(2).reduce(1, *)
            let rm = Tensor([Float](repeating: 1, count: c)), rv = Tensor([Float](repeating: 2, count: c))
            let y = batchNorm(x, weight: nil, bias: nil, runningMean: rm, runningVar: rv, training: true,
                              momentum: 0.25)
            let xs = x.scalars, ys = y.scalars
            for ch in 0..<c {
                var s = 0.0, q = 0.0
                for i in 0..<n { for j in 0..<inner { s += Double(xs[(i * c + ch) * inner + j]) } }
                let m = Double(n * inner), mu = s / m
                for i in 0..<n { for j in 0..<inner { let d = Double(xs[(i * c + ch) * inner + j]) - mu; q += d * d } }
                let varB = q / m
                XCTAssertEqual(Double(rm.data[ch]), 0.75 + 0.25 * mu, accuracy: 1e-4)
                XCTAssertEqual(Double(rv.data[ch]), 1.5 + 0.25 * varB * m / (m - 1), accuracy: 1e-3)
                for i in [0, n - 1] {
                    for j in [0, inner - 1] {
                        let k = (i * c + ch) * inner + j
                        XCTAssertEqual(Double(ys[k]), (Double(xs[k]) - mu) / (varB + 1e-5).squareRoot(), accuracy: 1e-4)
                    }
                }
            }
        }
    }

    // MARK: layer norm

    func testLayerNormGradients() {
        let x = randomTensor([2, 3, 4], seed: 21, scale: 1.5)
        assertGradients([x, randomTensor([4], seed: 22).affine(scale: 0.5, shift: 1), randomTensor([4], seed: 23)]) {
            layerNorm($0[0], normalizedShape: [4], weight: $0[1], bias: $0[2])
        }
        assertGradients([x, randomTensor([3, 4], seed: 24).affine(scale: 0.5, shift: 1), randomTensor([3, 4], seed: 25)]) {
            layerNorm($0[0], normalizedShape: [3, 4], weight: $0[1], bias: $0[2])
        }
        assertGradients([randomTensor([3, 13], seed: 26)]) {   // 13: the SIMD tail too
            layerNorm($0[0], normalizedShape: [13], weight: nil, bias: nil)
        }
    }

    func testLayerNormGolden() throws {
        let cases = Golden.cases("layer_norm")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let x = c.inputs["x"]!.tensor, w = c.inputs["weight"]!.tensor, b = c.inputs["bias"]!.tensor
            for t in [x, w, b] { t.requiresGrad = true }
            let y = layerNorm(x, normalizedShape: c.attrs["normalized_shape"]!.ints, weight: w, bias: b,
                              eps: c.float("eps"))
            XCTAssertEqual(y.shape, c.output.shape)
            assertClose(y.scalars, c.output.data, rtol: 1e-5, atol: 2e-5, "\(c.name) output")
            try y.backward(seed: c.grad_output!.tensor)
            assertClose(x.grad!.scalars, c.grads!["x"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dx")
            assertClose(w.grad!.scalars, c.grads!["weight"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dweight")
            assertClose(b.grad!.scalars, c.grads!["bias"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dbias")
        }
    }

    /// Many rows (threaded) with a wide row against a Double reference, weight/bias gradients too.
    func testLayerNormLargeAgainstReference() throws {
        let rows = 512, d = 96
        let x = randomTensor([rows, d], seed: 27, scale: 2), w = randomTensor([d], seed: 28), b = randomTensor([d], seed: 29)
        w.requiresGrad = true; b.requiresGrad = true
        let y = layerNorm(x, normalizedShape: [d], weight: w, bias: b)
        let seed = randomTensor([rows, d], seed: 30)
        try y.backward(seed: seed)
        let xs = x.scalars, gs = seed.scalars
        var dw = [Double](repeating: 0, count: d), db = [Double](repeating: 0, count: d)
        for r in 0..<rows {
            let row = (0..<d).map { Double(xs[r * d + $0]) }
            let mu = row.reduce(0, +) / Double(d)
            let sd = (row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(d) + 1e-5).squareRoot()
            for j in 0..<d {
                let xh = (row[j] - mu) / sd
                dw[j] += Double(gs[r * d + j]) * xh; db[j] += Double(gs[r * d + j])
                XCTAssertEqual(Double(y.data[r * d + j]), xh * Double(w.data[j]) + Double(b.data[j]), accuracy: 2e-5)
            }
        }
        assertClose(w.grad!.scalars, dw.map(Float.init), rtol: 1e-4, atol: 1e-3, "dweight")
        assertClose(b.grad!.scalars, db.map(Float.init), rtol: 1e-4, atol: 1e-3, "dbias")
    }

    // MARK: group norm

    func testGroupNormGradients() {
        let x = randomTensor([2, 4, 3, 2], seed: 31, scale: 1.5)
        let w = randomTensor([4], seed: 32).affine(scale: 0.5, shift: 1), b = randomTensor([4], seed: 33)
        for groups in [1, 2, 4] {
            assertGradients([x, w, b]) { groupNorm($0[0], groups: groups, weight: $0[1], bias: $0[2]) }
        }
        assertGradients([randomTensor([3, 6], seed: 34), randomTensor([6], seed: 35), randomTensor([6], seed: 36)]) {
            groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2])   // no spatial axes
        }
        assertGradients([randomTensor([2, 4, 9], seed: 37)]) { groupNorm($0[0], groups: 2, weight: nil, bias: nil) }
    }

    func testGroupNormGolden() throws {
        let cases = Golden.cases("group_norm")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let x = c.inputs["x"]!.tensor, w = c.inputs["weight"]!.tensor, b = c.inputs["bias"]!.tensor
            for t in [x, w, b] { t.requiresGrad = true }
            let y = groupNorm(x, groups: c.int("num_groups"), weight: w, bias: b, eps: c.float("eps"))
            assertClose(y.scalars, c.output.data, rtol: 1e-5, atol: 2e-5, "\(c.name) output")
            try y.backward(seed: c.grad_output!.tensor)
            assertClose(x.grad!.scalars, c.grads!["x"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dx")
            assertClose(w.grad!.scalars, c.grads!["weight"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dweight")
            assertClose(b.grad!.scalars, c.grads!["bias"]!.data, rtol: 1e-4, atol: 2e-5, "\(c.name) dbias")
        }
    }

    /// Group norm with one group per channel over a channel-last-free [N, C, H, W] is instance
    /// norm; with weight nil it must equal weight = 1, bias = 0.
    func testGroupNormMissingAffineIsIdentityAffine() {
        let x = randomTensor([2, 6, 4, 4], seed: 38)
        let a = groupNorm(x, groups: 3, weight: nil, bias: nil)
        let b = groupNorm(x, groups: 3, weight: Tensor.ones([6]), bias: Tensor.zeros([6]))
        XCTAssertEqual(a.scalars, b.scalars)
        // Each (sample, group) has mean 0, variance ≈ 1.
        let s = a.scalars
        for seg in 0..<(2 * 3) {
            let v = s[(seg * 32)..<((seg + 1) * 32)].map(Double.init)
            let mu = v.reduce(0, +) / 32
            XCTAssertEqual(mu, 0, accuracy: 1e-5)
            XCTAssertEqual(v.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 32, 1, accuracy: 1e-3)
        }
    }
}
