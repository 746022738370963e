import XCTest
import ReproKit

/// Training vs evaluation mode at the module level: BatchNorm's statistics, Dropout, and
/// `train()`/`eval()` reaching the dropout inside attention and recurrent layers.
final class LayerModeTests: XCTestCase {
    /// Per-channel mean and biased/unbiased variance of x [N, C, H, W], in Double.
    func channelStats(_ x: Tensor) -> [(mean: Double, biased: Double, unbiased: Double)] {
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        return (0..<c).map { ch in
            var values: [Double] = []
            for i in 0..<n { for k in 0..<hw { values.append(Double(x.data[(i * c + ch) * hw + k])) } }
            let m = values.reduce(0, +) / Double(values.count)
            let ss = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
            return (m, ss / Double(values.count), ss / Double(values.count - 1))
        }
    }

    func testBatchNormTrainNormalisesWithBatchStatsAndUpdatesRunningStats() {
        let bn = BatchNorm2d(3, momentum: 0.1)
        bn.running_mean.assign(Tensor([0.5, -1, 2]))
        bn.running_var.assign(Tensor([2, 0.5, 1]))
        let x = randomTensor([4, 3, 2, 2], seed: 1, scale: 2).affine(scale: 1, shift: 3)
        let stats = channelStats(x)
        let y = bn(x)
        // Output: zero mean, unit (biased) variance per channel (weight 1, bias 0).
        for s in channelStats(y) {
            XCTAssertEqual(s.mean, 0, accuracy: 1e-5)
            XCTAssertEqual(s.biased, 1, accuracy: 1e-3)   // eps = 1e-5 against variances ~4
        }
        // Running stats: (1 − m)·old + m·batch, with the unbiased batch variance.
        for (ch, s) in stats.enumerated() {
            XCTAssertEqual(Double(bn.running_mean[ch]), 0.9 * [0.5, -1, 2][ch] + 0.1 * s.mean, accuracy: 1e-5)
            XCTAssertEqual(Double(bn.running_var[ch]), 0.9 * [2, 0.5, 1][ch] + 0.1 * s.unbiased, accuracy: 1e-5)
        }
        XCTAssertEqual(bn.num_batches_tracked.item(), 1)
        _ = bn(x)
        XCTAssertEqual(bn.num_batches_tracked.item(), 2)
    }

    func testBatchNormEvalUsesRunningStatsAndLeavesThem() {
        let bn = BatchNorm2d(2)
        bn.weight.assign(Tensor([1.5, 0.5])); bn.bias.assign(Tensor([0.1, -0.2]))
        bn.running_mean.assign(Tensor([0.3, -0.7])); bn.running_var.assign(Tensor([2, 0.25]))
        bn.eval()
        XCTAssertFalse(bn.isTraining)
        let x = randomTensor([3, 2, 2, 2], seed: 2)
        let y = bn(x)
        for i in 0..<3 { for ch in 0..<2 { for a in 0..<2 { for b in 0..<2 {
            let w: Float = [1.5, 0.5][ch], bias: Float = [0.1, -0.2][ch]
            let m: Float = [0.3, -0.7][ch], v: Float = [2, 0.25][ch]
            XCTAssertEqual(y[i, ch, a, b], (x[i, ch, a, b] - m) / (v + 1e-5).squareRoot() * w + bias, accuracy: 1e-5)
        } } } }
        XCTAssertEqual(bn.running_mean.scalars, [0.3, -0.7])
        XCTAssertEqual(bn.running_var.scalars, [2, 0.25])
        XCTAssertEqual(bn.num_batches_tracked.item(), 0)
        // Back to training: batch statistics again (a constant channel shift vanishes).
        bn.train()
        let shifted = bn(x + 10)
        assertClose(shifted.scalars, bn(x).scalars, rtol: 1e-4, atol: 1e-4, "train mode ignores the shift")
    }

    func testDropoutModuleIsIdentityInEvalAndDropsInTraining() {
        var rng = RNG(seed: 3)
        let p: Float = 0.3
        let drop = Dropout(p, rng: &rng)
        let x = randomTensor([20_000], seed: 4).affine(scale: 1, shift: 5)   // no zeros in x
        drop.eval()
        XCTAssertEqual(drop(x).scalars, x.scalars)
        drop.train()
        let y = drop(x)
        var dropped = 0
        for i in 0..<x.count {
            if y.data[i] == 0 { dropped += 1 } else {
                XCTAssertEqual(y.data[i], x.data[i] / (1 - p), accuracy: 1e-5 * abs(y.data[i]))
            }
        }
        // Binomial sd = √(n·p·(1−p)) ≈ 65; allow 5 sd.
        XCTAssertEqual(Double(dropped), 20_000 * Double(p), accuracy: 330)
        XCTAssertNotEqual(drop(x).scalars, y.scalars, "each call draws a fresh mask")
    }

    /// A model holding attention and a GRU: `eval()` on it reaches their dropout.
    final class Model: Module {
        let attention: MultiheadAttention
        let rnn: GRU
        init(dropout: Float, rng: inout RNG) {
            attention = MultiheadAttention(embedDim: 8, heads: 2, dropout: dropout, rng: &rng)
            rnn = GRU(inputSize: 8, hiddenSize: 4, numLayers: 2, dropout: dropout, rng: &rng)
            super.init()
        }
        override func callAsFunction(_ x: Tensor) -> Tensor { rnn(attention(x)) }
    }

    func testTrainEvalReachesAttentionAndRecurrentDropout() {
        var rng = RNG(seed: 5)
        let model = Model(dropout: 0.5, rng: &rng)
        let plain = Model(dropout: 0, rng: &rng)
        let weights = Dictionary(uniqueKeysWithValues: model.stateDict())
        for (name, t) in plain.stateDict() { t.assign(weights[name]!) }
        let x = randomTensor([2, 6, 8], seed: 6)

        model.eval()
        XCTAssertFalse(model.attention.isTraining); XCTAssertFalse(model.rnn.isTraining)
        let evalOut = model(x)
        XCTAssertEqual(model(x).scalars, evalOut.scalars, "evaluation is deterministic")
        assertClose(evalOut.scalars, plain(x).scalars, rtol: 1e-6, atol: 1e-7, "evaluation = no dropout")

        model.train()
        XCTAssertTrue(model.attention.isTraining)
        let a = model(x), b = model(x)
        XCTAssertNotEqual(a.scalars, b.scalars, "training draws dropout masks")
        XCTAssertNotEqual(a.scalars, evalOut.scalars)
        // Attention weights are returned before dropout: still rows that sum to 1.
        let w = model.attention(query: x, key: x, value: x, needWeights: true).weights!
        for i in 0..<6 { XCTAssertEqual((0..<6).reduce(Float(0)) { $0 + w[1, 0, i, $1] }, 1, accuracy: 1e-5) }
        // Dropout inside attention alone: with the GRU in eval, outputs still vary.
        model.rnn.eval()
        XCTAssertNotEqual(model.attention(x).scalars, model.attention(x).scalars)
    }
}
