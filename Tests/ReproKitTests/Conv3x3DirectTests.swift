import XCTest
import ReproKit

/// The AVX-512 3×3 kernels must give what the im2col + sgemm path gives (itself checked
/// against direct loops in ConvBackwardTests) for forward, dX and dW, across image sizes
/// whose padded rows do not fill a 48-pixel tile, channel counts that are not multiples of
/// the kernel's 8-channel block, batches split over threads and grouped for dW, and bias.
final class Conv3x3DirectTests: XCTestCase {
    private struct Result { var y: [Float], dx: [Float], dw: [Float], db: [Float]? }

    private func run(_ xs: [Int], o: Int, bias: Bool, seed: UInt64, direct: Bool) throws -> Result {
        let saved = Conv3x3Direct.enabled
        Conv3x3Direct.enabled = direct
        defer { Conv3x3Direct.enabled = saved }
        let x = randomTensor(xs, seed: seed); x.requiresGrad = true
        let w = randomTensor([o, xs[1], 3, 3], seed: seed + 1, scale: 0.3); w.requiresGrad = true
        let b: Tensor? = bias ? randomTensor([o], seed: seed + 2) : nil
        b?.requiresGrad = true
        let y = conv2d(x, weight: w, bias: b, padding: (1, 1))
        let gy = randomTensor(y.shape, seed: seed + 3)
        try y.backward(seed: gy)
        return Result(y: y.scalars, dx: x.grad!.scalars, dw: w.grad!.scalars, db: b?.grad?.scalars)
    }

    func testDirectKernelsMatchIm2colPath() throws {
        try XCTSkipUnless(Conv3x3Direct.available, "this CPU has no AVX-512; only the im2col path runs")
        // (input shape, output channels, bias)
        let configs: [([Int], Int, Bool)] = [
            ([3, 1, 28, 28], 16, false),   // resnet-mini's stem: one input channel
            ([2, 16, 32, 32], 16, false),  // CIFAR stage 1
            ([5, 32, 14, 14], 32, false),  // grid rows (16) straddle the 48-pixel tiles
            ([3, 24, 7, 7], 48, true),     // AlexNet-mini widths, bias
            ([4, 5, 8, 8], 3, false),      // fewer outputs than one 8-channel block
            ([2, 3, 5, 11], 10, true),     // non-square, odd sizes, a partial second block
            ([9, 64, 8, 8], 64, false),    // stage 3; several dW image groups per thread
            ([6, 2, 1, 1], 9, false),      // 1×1 images: only the centre tap sees data
        ]
        for (i, (xs, o, bias)) in configs.enumerated() {
            let seed = UInt64(1000 + 10 * i)
            let direct = try run(xs, o: o, bias: bias, seed: seed, direct: true)
            let im2col = try run(xs, o: o, bias: bias, seed: seed, direct: false)
            assertClose(direct.y, im2col.y, rtol: 1e-4, atol: 1e-4, "y \(xs)→\(o)")
            assertClose(direct.dx, im2col.dx, rtol: 1e-4, atol: 1e-4, "dX \(xs)→\(o)")
            assertClose(direct.dw, im2col.dw, rtol: 1e-4, atol: 1e-3, "dW \(xs)→\(o)")
            if bias { assertClose(direct.db!, im2col.db!, rtol: 1e-4, atol: 1e-4, "dB \(xs)→\(o)") }
        }
    }

    func testDirectForwardMatchesLoopsAtTheBorders() throws {
        try XCTSkipUnless(Conv3x3Direct.available, "this CPU has no AVX-512; only the im2col path runs")
        // A constant-one input and weight: each output counts the input pixels its 3×3 window
        // covers (4 in corners, 6 on edges, 9 inside) times the channels, so a padding or
        // row-wrap mistake shows as a wrong count.
        let (c, h, w) = (3, 6, 9)
        let x = Tensor(shape: [2, c, h, w], repeating: 1), weight = Tensor(shape: [2, c, 3, 3], repeating: 1)
        let y = conv2d(x, weight: weight, padding: (1, 1)).scalars
        for i in 0..<2 * 2 { for oh in 0..<h { for ow in 0..<w {
            let rows = 3 - (oh == 0 ? 1 : 0) - (oh == h - 1 ? 1 : 0)
            let cols = 3 - (ow == 0 ? 1 : 0) - (ow == w - 1 ? 1 : 0)
            XCTAssertEqual(y[(i * h + oh) * w + ow], Float(rows * cols * c), "(\(oh), \(ow))")
        } } }
    }

    func testGradientsAreBitIdenticalRunToRunAndAcrossThreadCounts() throws {
        // Threads take images as they free up, so which thread sums which images varies; the
        // dW partials are per group of images and summed in order, so the result must not.
        try XCTSkipUnless(Conv3x3Direct.available, "this CPU has no AVX-512; only the im2col path runs")
        let saved = Threads.count
        Threads.set(2)
        defer { Threads.set(saved) }
        let first = try run([64, 16, 16, 16], o: 16, bias: false, seed: 1200, direct: true)
        // The batch's slices depend on the batch alone, so one thread sums the same way too.
        Threads.set(1)
        let single = try run([64, 16, 16, 16], o: 16, bias: false, seed: 1200, direct: true)
        Threads.set(2)
        XCTAssertEqual(single.dw, first.dw)
        for _ in 0..<3 {
            let again = try run([64, 16, 16, 16], o: 16, bias: false, seed: 1200, direct: true)
            XCTAssertEqual(again.dw, first.dw)
            XCTAssertEqual(again.dx, first.dx)
            XCTAssertEqual(again.y, first.y)
        }
    }

    func testRunFoldersRecordWhichKernelsRan() {
        // config.json's versions say which convolution path produced the numbers.
        let saved = Conv3x3Direct.enabled
        defer { Conv3x3Direct.enabled = saved }
        Conv3x3Direct.enabled = true
        XCTAssertEqual(Provenance.versions()["conv3x3"],
                       Conv3x3Direct.available ? "AVX-512 direct kernels" : "im2col + sgemm")
        Conv3x3Direct.enabled = false
        XCTAssertEqual(Provenance.versions()["conv3x3"], "im2col + sgemm")
    }
}
