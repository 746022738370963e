import XCTest
import Foundation
import ReproKit

/// GRU/LSTM back-propagation through time against finite differences, the bidirectional and
/// variable-length semantics, and masks in attention giving exactly zero weight.
final class RecurrentTests: XCTestCase {
    /// Output and final states as one vector, for `assertGradients`.
    func flat(_ ts: [Tensor]) -> Tensor { Tensor.concat(ts.map { $0.reshaped([-1]) }, axis: 0) }

    /// Time steps `range` of x [B, T, …] for batch row `row`, as [1, n, …].
    func steps(_ x: Tensor, row: Int, _ range: Range<Int>) -> Tensor {
        x.slice(axis: 0, row..<(row + 1)).slice(axis: 1, range)
    }

    // assertGradients perturbs the listed tensors in place: the module's parameters are its
    // own tensors, so listing them checks their gradients too.

    func testGRUGradientsThroughTwentyStepsMatchFiniteDifferences() {
        var rng = RNG(seed: 11)
        let gru = GRU(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, rng: &rng)
        let x = randomTensor([2, 20, 3], seed: 1), h0 = randomTensor([4, 2, 4], seed: 2, scale: 0.5)
        assertGradients([x, h0] + gru.parameters) { t in
            let r = gru(t[0], h0: t[1])
            return self.flat([r.output, r.hidden])
        }
    }

    func testLSTMGradientsThroughTwentyStepsMatchFiniteDifferences() {
        var rng = RNG(seed: 12)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, rng: &rng)
        let x = randomTensor([2, 20, 3], seed: 3)
        let h0 = randomTensor([4, 2, 4], seed: 4, scale: 0.5), c0 = randomTensor([4, 2, 4], seed: 5, scale: 0.5)
        assertGradients([x, h0, c0] + lstm.parameters) { t in
            let r = lstm(t[0], state: (t[1], t[2]))
            return self.flat([r.output, r.hidden, r.cell])
        }
    }

    func testGradientsWithLengthsMatchFiniteDifferencesAndSkipPadding() {
        var rng = RNG(seed: 13)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, bidirectional: true, rng: &rng)
        let gru = GRU(inputSize: 3, hiddenSize: 4, bidirectional: true, rng: &rng)
        let x = randomTensor([2, 20, 3], seed: 6)
        let lengths = [20, 9]
        assertGradients([x] + lstm.parameters) { t in
            let r = lstm(t[0], state: nil, lengths: lengths)
            return self.flat([r.output, r.hidden, r.cell])
        }
        XCTAssertEqual(steps(x.grad!, row: 1, 9..<20).scalars.map(abs).max(), 0, "padding gets no gradient")
        assertGradients([x] + gru.parameters) { t in
            let r = gru(t[0], h0: nil, lengths: lengths)
            return self.flat([r.output, r.hidden])
        }
        XCTAssertEqual(steps(x.grad!, row: 1, 9..<20).scalars.map(abs).max(), 0, "padding gets no gradient")
    }

    /// A padded sequence with its length gives what the unpadded sequence gives alone.
    func testLengthsActAsIfThePaddingWereAbsent() {
        var rng = RNG(seed: 14)
        let lstm = LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, rng: &rng)
        let x = randomTensor([2, 12, 3], seed: 7)
        let padded = lstm(x, state: nil, lengths: [12, 7])
        let alone = lstm(steps(x, row: 1, 0..<7), state: nil)
        assertClose(steps(padded.output, row: 1, 0..<7).scalars, alone.output.scalars, rtol: 1e-5, atol: 1e-6,
                    "output of the short sequence")
        XCTAssertEqual(steps(padded.output, row: 1, 7..<12).scalars.map(abs).max(), 0, "output past the end")
        assertClose(padded.hidden.slice(axis: 1, 1..<2).scalars, alone.hidden.scalars, rtol: 1e-5, atol: 1e-6, "h_n")
        assertClose(padded.cell.slice(axis: 1, 1..<2).scalars, alone.cell.scalars, rtol: 1e-5, atol: 1e-6, "c_n")
        let full = lstm(steps(x, row: 0, 0..<12), state: nil)
        assertClose(steps(padded.output, row: 0, 0..<12).scalars, full.output.scalars, rtol: 1e-5, atol: 1e-6,
                    "the full-length row is unaffected")
    }

    /// The second half of a bidirectional output is a forward-only layer with the `_reverse`
    /// weights run over the time-reversed input, reversed back; the first half is the
    /// forward-only layer with the forward weights.
    func testBidirectionalHalvesAreTheTwoDirections() {
        var rng = RNG(seed: 15)
        let (t, h) = (9, 5)
        let bi = GRU(inputSize: 3, hiddenSize: h, bidirectional: true, rng: &rng)
        let fwd = GRU(inputSize: 3, hiddenSize: h, rng: &rng), rev = GRU(inputSize: 3, hiddenSize: h, rng: &rng)
        let biState = Dictionary(uniqueKeysWithValues: bi.stateDict())
        for (name, p) in fwd.stateDict() { p.assign(biState[name]!) }
        for (name, p) in rev.stateDict() { p.assign(biState[name + "_reverse"]!) }
        let x = randomTensor([2, t, 3], seed: 8)
        let reversedTime = Array((0..<t).reversed())
        let both = bi(x, h0: nil)
        let f = fwd(x, h0: nil), r = rev(x.indexSelect(axis: 1, reversedTime), h0: nil)
        assertClose(both.output.slice(axis: 2, 0..<h).scalars, f.output.scalars, rtol: 1e-6, atol: 1e-7, "forward half")
        assertClose(both.output.slice(axis: 2, h..<(2 * h)).scalars,
                    r.output.indexSelect(axis: 1, reversedTime).scalars, rtol: 1e-6, atol: 1e-7, "reverse half")
        // h_n: [forward final, reverse final]; the reverse direction ends at t = 0.
        assertClose(both.hidden.slice(axis: 0, 1..<2).scalars, r.hidden.scalars, rtol: 1e-6, atol: 1e-7, "h_n reverse")
        assertClose(both.hidden.slice(axis: 0, 1..<2).scalars,
                    both.output.slice(axis: 1, 0..<1).slice(axis: 2, h..<(2 * h)).scalars, rtol: 0, atol: 0,
                    "reverse final state = reverse output at t = 0")
    }

    /// One GRU cell step by its definition (r, z, n gates in PyTorch's order).
    func testGRUCellFollowsTheGateEquations() {
        var rng = RNG(seed: 16)
        let cell = GRUCell(inputSize: 2, hiddenSize: 3, rng: &rng)
        let x = randomTensor([1, 2], seed: 9), h = randomTensor([1, 3], seed: 10)
        let out = cell(x, h)
        func sigmoid(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }
        for j in 0..<3 {
            func pre(_ w: Tensor, _ b: Tensor, _ v: Tensor, _ row: Int) -> Float {
                var s = b[row]
                for k in 0..<v.shape[1] { s += w[row, k] * v[0, k] }
                return s
            }
            let (wi, wh, bi, bh) = (cell.weight_ih, cell.weight_hh, cell.bias_ih!, cell.bias_hh!)
            let r = sigmoid(pre(wi, bi, x, j) + pre(wh, bh, h, j))
            let z = sigmoid(pre(wi, bi, x, 3 + j) + pre(wh, bh, h, 3 + j))
            let n = Foundation.tanh(pre(wi, bi, x, 6 + j) + r * pre(wh, bh, h, 6 + j))
            XCTAssertEqual(out[0, j], (1 - z) * n + z * h[0, j], accuracy: 1e-6)
        }
    }

    func testMultiheadAttentionPaddingMaskGivesZeroWeight() {
        var rng = RNG(seed: 17)
        let mha = MultiheadAttention(embedDim: 8, heads: 2, rng: &rng)
        let x = randomTensor([2, 5, 8], seed: 11)
        let padding = [[false, false, false, false, false], [false, false, true, false, true]]
        let r = mha(query: x, key: x, value: x, keyPaddingMask: padding, needWeights: true)
        let w = r.weights!
        XCTAssertEqual(w.shape, [2, 2, 5, 5])
        for head in 0..<2 {
            for i in 0..<5 {
                XCTAssertEqual(w[1, head, i, 2], 0); XCTAssertEqual(w[1, head, i, 4], 0)
                XCTAssertGreaterThan(w[0, head, i, 4], 0)
                let rowSum = (0..<5).reduce(Float(0)) { $0 + w[1, head, i, $1] }
                XCTAssertEqual(rowSum, 1, accuracy: 1e-5)
            }
        }
        // Changing a padded key's features changes nothing at the other positions.
        let y = x.copy()
        for k in 0..<8 { y[1, 4, k] += 3 }
        let r2 = mha(query: y, key: y, value: y, keyPaddingMask: padding)
        for i in [0, 1, 2, 3] {
            assertClose(r2.output.slice(axis: 0, 1..<2).slice(axis: 1, i..<(i + 1)).scalars,
                        r.output.slice(axis: 0, 1..<2).slice(axis: 1, i..<(i + 1)).scalars, rtol: 1e-5, atol: 1e-6,
                        "position \(i)")
        }
        // Causal: query i gives no weight to keys after it.
        let c = mha(query: x, key: x, value: x, causal: true, needWeights: true).weights!
        XCTAssertEqual(c[0, 1, 1, 2], 0); XCTAssertEqual(c[1, 0, 3, 4], 0)
        XCTAssertGreaterThan(c[1, 0, 4, 4], 0)
    }

    func testAdditiveAttentionFollowsBahdanauAndMasks() {
        var rng = RNG(seed: 18)
        let att = AdditiveAttention(queryDim: 3, keyDim: 4, attentionDim: 5, rng: &rng)
        XCTAssertEqual(att.stateDict().map(\.0), ["W.weight", "U.weight", "U.bias", "v.weight"])
        let q = randomTensor([2, 3], seed: 12), keys = randomTensor([2, 6, 4], seed: 13)
        let mask = [[false, false, false, false, false, false], [false, true, false, false, true, true]]
        let r = att(query: q, keys: keys, keyPaddingMask: mask)
        XCTAssertEqual(r.context.shape, [2, 4]); XCTAssertEqual(r.weights.shape, [2, 6])

        // e_1j = vᵀ tanh(W s + U h_j) by hand, softmax over the unmasked j, c = Σ α_j h_j.
        var e = [Float](repeating: 0, count: 6)
        for j in 0..<6 {
            for a in 0..<5 {
                var s = att.U.bias![a]
                for k in 0..<3 { s += att.W.weight[a, k] * q[1, k] }
                for k in 0..<4 { s += att.U.weight[a, k] * keys[1, j, k] }
                e[j] += att.v.weight[0, a] * Foundation.tanh(s)
            }
        }
        let valid = [0, 2, 3]
        let z = valid.reduce(Float(0)) { $0 + Foundation.exp(e[$1]) }
        for j in 0..<6 {
            let expected = valid.contains(j) ? Foundation.exp(e[j]) / z : 0
            XCTAssertEqual(r.weights[1, j], expected, accuracy: 1e-6, "α_\(j)")
        }
        for k in 0..<4 {
            let expected = valid.reduce(Float(0)) { $0 + r.weights[1, $1] * keys[1, $1, k] }
            XCTAssertEqual(r.context[1, k], expected, accuracy: 1e-5)
        }
        XCTAssertEqual((0..<6).reduce(Float(0)) { $0 + r.weights[0, $1] }, 1, accuracy: 1e-5)

        // Masked keys' values do not matter; precomputed U·h gives the same result.
        let changed = keys.copy()
        for k in 0..<4 { changed[1, 4, k] = 50 }
        let r2 = att(query: q, keys: changed, projectedKeys: att.projectKeys(changed), keyPaddingMask: mask)
        assertClose(r2.context.scalars, r.context.scalars, rtol: 1e-5, atol: 1e-6, "context")

        assertGradients([q, keys] + att.parameters, h: 5e-3) { t in
            let out = att(query: t[0], keys: t[1], keyPaddingMask: mask)
            return self.flat([out.context, out.weights])
        }
    }
}
