import XCTest
import Foundation
import ReproKit

/// SiLU and dropout on every path this CPU runs: their C kernels follow `Conv3x3Direct.path`
/// (AVX-512, AVX2 + FMA; `.im2col` runs the Swift loops). SiLU against a Double reference and
/// finite differences, dropout bit for bit against the Swift loops.
final class ElementwiseKernelsTests: XCTestCase {
    private let saved = Conv3x3Direct.path
    override func tearDown() { Conv3x3Direct.path = saved }

    func testSiluOnEveryPathMatchesDoubleReferenceAndFiniteDifferences() throws {
        func sigma(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        for path in Conv3x3Direct.supportedPaths {
            Conv3x3Direct.path = path
            // Enough elements to split over threads, an odd count for the vector loops' tails.
            let x = randomTensor([100_003], seed: 31, scale: 6)
            x.requiresGrad = true
            let g = randomTensor([100_003], seed: 32)
            try x.silu().backward(seed: g)
            let xs = x.scalars.map(Double.init)
            assertClose(x.silu().scalars, xs.map { Float($0 * sigma($0)) }, rtol: 1e-6, atol: 1e-7, "silu \(path)")
            let want = zip(xs, g.scalars).map { v, gi in Float(Double(gi) * sigma(v) * (1 + v * (1 - sigma(v)))) }
            assertClose(x.grad!.scalars, want, rtol: 2e-6, atol: 1e-7, "silu grad \(path)")
            // Saturations and NaN, in a vector's body and in a tail.
            let known: [Float] = [0, 1, -1, 30, -200, .nan, 2, 3, 0, 1, -1, 30, -200, .nan, 5, -5, 0.5]
            let y = Tensor(known).silu().scalars
            for (i, v) in known.enumerated() {
                if v.isNaN { XCTAssertTrue(y[i].isNaN, "\(path): silu(NaN)"); continue }
                XCTAssertEqual(Double(y[i]), Double(v) * sigma(Double(v)), accuracy: 1e-6 * max(1, Double(Swift.abs(v))),
                               "\(path): silu(\(v))")
            }
            XCTAssertEqual(y[4].sign, .minus, "\(path): silu(−200) is −0")
            assertGradients([randomTensor([3, 7], seed: 33)]) { $0[0].silu() }
            assertGradients([Tensor((0..<25).map { Float($0) * 0.5 - 6.1 })]) { $0[0].silu() }
        }
    }

    /// The mask is a function of (key, counter) alone: every path keeps the same elements and
    /// scales them alike, forward and backward, for whole tensors and for ranges that start
    /// mid-stream (the split over threads).
    func testDropoutOnEveryPathIsTheSwiftLoopsBitForBit() throws {
        let x = randomTensor([70_001], seed: 41)
        func run(_ path: Conv3x3Direct.Path, p: Float, seed: UInt64) throws -> (y: [Float], dx: [Float]) {
            Conv3x3Direct.path = path
            var rng = RNG(seed: seed)
            _ = rng.next()   // a counter that does not start at 0
            let leaf = x.copy()
            leaf.requiresGrad = true
            let y = dropout(leaf, p: p, training: true, rng: &rng)
            try y.backward(seed: randomTensor([70_001], seed: 42))
            return (y.scalars, leaf.grad!.scalars)
        }
        for p: Float in [0.1, 0.5, 0.999, 1] {
            let swift = try run(.im2col, p: p, seed: 7)
            let kept = swift.y.filter { $0 != 0 }.count
            if p < 1 { XCTAssertEqual(Double(kept) / 70_001, Double(1 - p), accuracy: 0.02, "p = \(p)") }
            for path in Conv3x3Direct.supportedPaths where path != .im2col {
                let got = try run(path, p: p, seed: 7)
                XCTAssertEqual(got.y.map(\.bitPattern), swift.y.map(\.bitPattern), "\(path) forward, p = \(p)")
                XCTAssertEqual(got.dx.map(\.bitPattern), swift.dx.map(\.bitPattern), "\(path) backward, p = \(p)")
            }
        }
    }
}
