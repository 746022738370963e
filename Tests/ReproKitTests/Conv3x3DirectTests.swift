import Foundation
import XCTest
import ReproKit

/// Every direct 3×3 path this CPU runs (AVX2 + FMA; AVX-512 too where the CPU has it) must give
/// what the im2col + sgemm path gives (itself checked against direct loops in
/// ConvBackwardTests) for forward, dX and dW, across image sizes whose padded rows do not fill
/// a register tile, channel counts that are not multiples of the kernels' channel blocks,
/// batches split over threads and grouped for dW, and bias.
final class Conv3x3DirectTests: XCTestCase {
    private struct Result { var y: [Float], dx: [Float], dw: [Float], db: [Float]? }

    /// The direct paths this CPU runs; each test below runs on all of them.
    private let directPaths = Conv3x3Direct.supportedPaths.filter { $0 != .im2col }

    /// Runs body with `path` chosen (`.im2col` for the reference), then restores the settings.
    private func with<T>(_ path: Conv3x3Direct.Path, _ body: () throws -> T) rethrows -> T {
        let (savedPath, savedEnabled) = (Conv3x3Direct.path, Conv3x3Direct.enabled)
        Conv3x3Direct.path = path
        Conv3x3Direct.enabled = true
        defer { (Conv3x3Direct.path, Conv3x3Direct.enabled) = (savedPath, savedEnabled) }
        return try body()
    }

    private func run(_ xs: [Int], o: Int, bias: Bool, seed: UInt64, path: Conv3x3Direct.Path) throws -> Result {
        try with(path) {
            let x = randomTensor(xs, seed: seed); x.requiresGrad = true
            let w = randomTensor([o, xs[1], 3, 3], seed: seed + 1, scale: 0.3); w.requiresGrad = true
            let b: Tensor? = bias ? randomTensor([o], seed: seed + 2) : nil
            b?.requiresGrad = true
            let y = conv2d(x, weight: w, bias: b, padding: (1, 1))
            let gy = randomTensor(y.shape, seed: seed + 3)
            try y.backward(seed: gy)
            return Result(y: y.scalars, dx: x.grad!.scalars, dw: w.grad!.scalars, db: b?.grad?.scalars)
        }
    }

    func testEveryPathTheCPUHasIsSupportedAndTested() throws {
        // The kernels' own CPU check against the kernel's word for it in /proc/cpuinfo: a
        // dispatch that hid a path would leave it untested here and unused in training.
        let flags = Set(((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").first { $0.hasPrefix("flags") }?
            .split(separator: " ").map(String.init) ?? [])
        var expected: [Conv3x3Direct.Path] = []
        #if arch(x86_64)
        if flags.contains("avx512f") { expected.append(.avx512) }
        if flags.contains("avx2") && flags.contains("fma") { expected.append(.avx2) }
        #endif
        XCTAssertEqual(directPaths, expected)
        XCTAssertEqual(Conv3x3Direct.supportedPaths.last, .im2col)
        print("Conv3x3DirectTests: direct paths checked on this CPU: "
              + (directPaths.isEmpty ? "none" : directPaths.map(\.rawValue).joined(separator: ", ")))
    }

    func testDirectKernelsMatchIm2colPath() throws {
        // (input shape, output channels, bias)
        let configs: [([Int], Int, Bool)] = [
            ([3, 1, 28, 28], 16, false),   // resnet-mini's stem: one input channel
            ([2, 16, 32, 32], 16, false),  // CIFAR stage 1
            ([5, 32, 14, 14], 32, false),  // grid rows (16) straddle the 16- and 48-pixel tiles
            ([3, 24, 7, 7], 48, true),     // AlexNet-mini widths, bias; 63 pixels: a partial tile
            ([4, 5, 8, 8], 3, false),      // fewer outputs than one 4- or 8-channel slice
            ([2, 3, 5, 11], 10, true),     // non-square, odd sizes, a partial second block
            ([2, 6, 9, 9], 6, false),      // 6 outputs: one full 4-channel slice and half of one
            ([9, 64, 8, 8], 64, false),    // stage 3; several dW image groups per thread
            ([6, 2, 1, 1], 9, false),      // 1×1 images: only the centre tap sees data
        ]
        for path in directPaths {
            for (i, (xs, o, bias)) in configs.enumerated() {
                let seed = UInt64(1000 + 10 * i), what = "\(path.rawValue) \(xs)→\(o)"
                let direct = try run(xs, o: o, bias: bias, seed: seed, path: path)
                let im2col = try run(xs, o: o, bias: bias, seed: seed, path: .im2col)
                assertClose(direct.y, im2col.y, rtol: 1e-4, atol: 1e-4, "y \(what)")
                assertClose(direct.dx, im2col.dx, rtol: 1e-4, atol: 1e-4, "dX \(what)")
                assertClose(direct.dw, im2col.dw, rtol: 1e-4, atol: 1e-3, "dW \(what)")
                if bias { assertClose(direct.db!, im2col.db!, rtol: 1e-4, atol: 1e-4, "dB \(what)") }
                // Proof the path ran its own kernels rather than falling back to im2col: they
                // sum 2 × 1024 pixels per weight in another order, so some dW bits differ.
                if xs == [2, 16, 32, 32] { XCTAssertNotEqual(direct.dw, im2col.dw, "\(what) ran im2col") }
            }
        }
    }

    func testDirectForwardMatchesLoopsAtTheBorders() throws {
        // A constant-one input and weight: each output counts the input pixels its 3×3 window
        // covers (4 in corners, 6 on edges, 9 inside) times the channels, so a padding or
        // row-wrap mistake shows as a wrong count.
        let (c, h, w) = (3, 6, 9)
        let x = Tensor(shape: [2, c, h, w], repeating: 1), weight = Tensor(shape: [2, c, 3, 3], repeating: 1)
        for path in directPaths {
            let y = with(path) { conv2d(x, weight: weight, padding: (1, 1)).scalars }
            for i in 0..<2 * 2 { for oh in 0..<h { for ow in 0..<w {
                let rows = 3 - (oh == 0 ? 1 : 0) - (oh == h - 1 ? 1 : 0)
                let cols = 3 - (ow == 0 ? 1 : 0) - (ow == w - 1 ? 1 : 0)
                XCTAssertEqual(y[(i * h + oh) * w + ow], Float(rows * cols * c), "\(path.rawValue) (\(oh), \(ow))")
            } } }
        }
    }

    func testGradientsAreBitIdenticalRunToRunAndAcrossThreadCounts() throws {
        // Threads take images as they free up, so which thread sums which images varies; the
        // dW partials are per group of images and summed in order, so the result must not.
        let saved = Threads.count
        defer { Threads.set(saved) }
        for path in directPaths {
            Threads.set(2)
            let first = try run([64, 16, 16, 16], o: 16, bias: false, seed: 1200, path: path)
            // The batch's slices depend on the batch alone, so one thread sums the same way too.
            Threads.set(1)
            let single = try run([64, 16, 16, 16], o: 16, bias: false, seed: 1200, path: path)
            Threads.set(2)
            XCTAssertEqual(single.dw, first.dw, path.rawValue)
            for _ in 0..<3 {
                let again = try run([64, 16, 16, 16], o: 16, bias: false, seed: 1200, path: path)
                XCTAssertEqual(again.dw, first.dw, path.rawValue)
                XCTAssertEqual(again.dx, first.dx, path.rawValue)
                XCTAssertEqual(again.y, first.y, path.rawValue)
            }
        }
    }

    func testRunFoldersRecordWhichKernelsRan() {
        // config.json's versions say which convolution path produced the numbers.
        for path in Conv3x3Direct.supportedPaths {
            with(path) { XCTAssertEqual(Provenance.versions()["conv3x3"], path.rawValue) }
        }
        if ProcessInfo.processInfo.environment["REPRO_CONV3X3"] == nil {
            XCTAssertEqual(Conv3x3Direct.path, Conv3x3Direct.supportedPaths[0], "the fastest path is the default")
        }
        let saved = Conv3x3Direct.enabled
        defer { Conv3x3Direct.enabled = saved }
        Conv3x3Direct.enabled = false
        XCTAssertEqual(Provenance.versions()["conv3x3"], "im2col + sgemm")
    }
}
