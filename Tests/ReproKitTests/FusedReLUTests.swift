import XCTest
import ReproKit

/// The fused ReLU ops must give the unfused composition's values and gradients exactly (the
/// same arithmetic; only memory passes are saved), in training and evaluation, for every
/// layout the batch norm kernels take.
final class FusedReLUTests: XCTestCase {
    private func exactlyEqual(_ a: [Float], _ b: [Float], _ what: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let bad = zip(a, b).filter { $0.0 != $0.1 }.count
        XCTAssertEqual(bad, 0, "\(what): \(bad) of \(a.count) elements differ", file: file, line: line)
    }

    func testBatchNormReluEqualsBatchNormThenRelu() throws {
        // [N, C, H, W] with an inner size off the SIMD width, one a multiple of 8, [N, C, L], [N, C].
        for (k, shape) in [[3, 4, 5, 5], [2, 3, 4, 4], [4, 3, 7], [6, 5]].enumerated() {
            for training in [true, false] {
                let c = shape[1]
                func run(fused: Bool) throws -> [[Float]] {
                    let x = randomTensor(shape, seed: UInt64(20 + k)); x.requiresGrad = true
                    let w = randomTensor([c], seed: 31, scale: 0.5) + 1; w.requiresGrad = true
                    let b = randomTensor([c], seed: 32, scale: 0.5); b.requiresGrad = true
                    let rm = randomTensor([c], seed: 33, scale: 0.2), rv = Tensor(shape: [c], repeating: 1.5)
                    let y = fused
                        ? batchNormRelu(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: training)
                        : batchNorm(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: training).relu()
                    try y.backward(seed: randomTensor(shape, seed: 34))
                    return [y.scalars, x.grad!.scalars, w.grad!.scalars, b.grad!.scalars, rm.scalars, rv.scalars]
                }
                let fused = try run(fused: true), plain = try run(fused: false)
                // Both signs occur, or the mask would not be tested.
                XCTAssertTrue(fused[0].contains(0) && fused[0].contains { $0 > 0 }, "\(shape): mixed signs")
                for (i, what) in ["y", "dx", "dweight", "dbias", "running mean", "running var"].enumerated() {
                    exactlyEqual(fused[i], plain[i], "\(shape) training \(training): \(what)")
                }
            }
        }
    }

    func testBatchNormAddReluEqualsBatchNormPlusResidualThenRelu() throws {
        for (k, shape) in [[3, 4, 5, 5], [2, 3, 4, 4], [6, 5]].enumerated() {
            for training in [true, false] {
                let c = shape[1]
                func run(fused: Bool) throws -> [[Float]] {
                    let x = randomTensor(shape, seed: UInt64(60 + k)); x.requiresGrad = true
                    let r = randomTensor(shape, seed: UInt64(70 + k)); r.requiresGrad = true
                    let w = randomTensor([c], seed: 61, scale: 0.5) + 1; w.requiresGrad = true
                    let b = randomTensor([c], seed: 62, scale: 0.5); b.requiresGrad = true
                    let rm = randomTensor([c], seed: 63, scale: 0.2), rv = Tensor(shape: [c], repeating: 0.7)
                    let y = fused
                        ? batchNormAddRelu(x, residual: r, weight: w, bias: b, runningMean: rm, runningVar: rv,
                                           training: training)
                        : (batchNorm(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: training) + r).relu()
                    try y.backward(seed: randomTensor(shape, seed: 64))
                    return [y.scalars, x.grad!.scalars, r.grad!.scalars, w.grad!.scalars, b.grad!.scalars,
                            rm.scalars, rv.scalars]
                }
                let fused = try run(fused: true), plain = try run(fused: false)
                XCTAssertTrue(fused[0].contains(0) && fused[0].contains { $0 > 0 }, "\(shape): mixed signs")
                for (i, what) in ["y", "dx", "dresidual", "dweight", "dbias", "running mean", "running var"].enumerated() {
                    exactlyEqual(fused[i], plain[i], "\(shape) training \(training): \(what)")
                }
            }
        }
        // The module form counts the batch like a plain call.
        let bn = BatchNorm2d(2)
        let x = randomTensor([2, 2, 3, 3], seed: 65), r = randomTensor([2, 2, 3, 3], seed: 66)
        let y = bn(x, addingThenRelu: r)
        XCTAssertEqual(bn.num_batches_tracked.data[0], 1)
        bn.eval()
        exactlyEqual(bn(x, addingThenRelu: r).scalars, (bn(x) + r).relu().scalars, "module, eval")
        XCTAssertEqual(y.shape, x.shape)
    }

    func testSubsampledChannelPaddedEqualsPoolThenPad() throws {
        // (shape, stride, pad): even and odd sizes, stride 1 (pad only), no pad.
        for (shape, stride, pad) in [([2, 3, 8, 6], 2, 2), ([2, 2, 7, 5], 2, 1), ([1, 2, 4, 4], 1, 3), ([2, 3, 9, 9], 3, 0)] {
            func run(fused: Bool) throws -> [[Float]] {
                let x = randomTensor(shape, seed: 80); x.requiresGrad = true
                let y: Tensor
                if fused {
                    y = x.subsampledChannelPadded(stride: stride, channelPad: pad)
                } else {
                    let sub = stride == 1 ? x : maxPool2d(x, kernel: (1, 1), stride: (stride, stride))
                    y = sub.padded([(0, 0), (pad, pad), (0, 0), (0, 0)])
                }
                try y.backward(seed: randomTensor(y.shape, seed: 81))
                return [y.shape.map(Float.init), y.scalars, x.grad!.scalars]
            }
            let fused = try run(fused: true), plain = try run(fused: false)
            for (i, what) in ["shape", "y", "dx"].enumerated() { exactlyEqual(fused[i], plain[i], "\(shape) s\(stride): \(what)") }
        }
        assertGradients([randomTensor([2, 2, 5, 4], seed: 82)]) { t in t[0].subsampledChannelPadded(stride: 2, channelPad: 1) }
    }

    func testBatchNormModuleReluCountsBatchesAndMatches() throws {
        let bn = BatchNorm2d(3)
        var rng = RNG(seed: 5)
        let x = Tensor.randn([2, 3, 4, 4], rng: &rng)
        let fused = bn(x, relu: true)
        XCTAssertEqual(bn.num_batches_tracked.data[0], 1)
        let plain = bn(x).relu()
        XCTAssertEqual(bn.num_batches_tracked.data[0], 2)
        exactlyEqual(fused.scalars, plain.scalars, "module forward")
        exactlyEqual(bn(x, relu: false).scalars, bn(x).scalars, "relu: false is the plain call")
    }
}
