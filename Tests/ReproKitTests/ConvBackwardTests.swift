import XCTest
import ReproKit

/// The stride-1 backward computes dX and dW from one unfolding of dY; these check every
/// element of both against direct loops, across the per-image and the batched GEMM layouts,
/// groups and dilation.
final class ConvBackwardTests: XCTestCase {
    /// dW[o, c, ki, kj] = Σ dY[n, o, oh, ow] · x[n, g·cg + c, oh·s − p + ki·d, ow·s − p + kj·d]
    /// and dX likewise, in Double.
    private func reference(_ x: Tensor, _ w: Tensor, _ gy: Tensor, padding: (Int, Int), dilation: (Int, Int),
                           groups: Int) -> (dx: [Double], dw: [Double]) {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let (ho, wo) = (gy.shape[2], gy.shape[3])
        let og = o / groups
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        for i in 0..<n { for oc in 0..<o { for y in 0..<ho { for xx in 0..<wo {
            let gv = Double(gy.data[((i * o + oc) * ho + y) * wo + xx])
            let g = oc / og
            for ci in 0..<cg { for ki in 0..<kh { for kj in 0..<kw {
                let ih = y - padding.0 + ki * dilation.0, iw = xx - padding.1 + kj * dilation.1
                if ih < 0 || ih >= h || iw < 0 || iw >= wd { continue }
                let xi = ((i * c + g * cg + ci) * h + ih) * wd + iw, wi = ((oc * cg + ci) * kh + ki) * kw + kj
                dw[wi] += gv * Double(x.data[xi])
                dx[xi] += gv * Double(w.data[wi])
            } } }
        } } } }
        return (dx, dw)
    }

    func testStrideOneBackwardMatchesDirectLoops() {
        // (x shape, out channels, kernel, padding, dilation, groups)
        let configs: [([Int], Int, (Int, Int), (Int, Int), (Int, Int), Int)] = [
            ([5, 4, 6, 6], 6, (3, 3), (1, 1), (1, 1), 1),       // small images: batched GEMM
            ([3, 4, 17, 16], 6, (3, 3), (1, 1), (1, 1), 2),     // ≥ 256 pixels: per-image GEMMs, groups
            ([40, 6, 9, 9], 4, (3, 3), (1, 1), (1, 1), 1),      // several column chunks
            ([2, 4, 18, 18], 4, (3, 3), (2, 2), (2, 2), 2),     // dilation, per image, groups
            ([3, 3, 7, 5], 4, (3, 2), (2, 1), (1, 1), 1),       // non-square kernel, wider padding
        ]
        for (i, (xs, o, k, p, d, groups)) in configs.enumerated() {
            let x = randomTensor(xs, seed: UInt64(600 + i)); x.requiresGrad = true
            let w = randomTensor([o, xs[1] / groups, k.0, k.1], seed: UInt64(700 + i), scale: 0.3)
            w.requiresGrad = true
            let y = conv2d(x, weight: w, padding: p, dilation: d, groups: groups)
            let gy = randomTensor(y.shape, seed: UInt64(800 + i))
            XCTAssertNoThrow(try y.backward(seed: gy))
            let (dx, dw) = reference(x, w, gy, padding: p, dilation: d, groups: groups)
            assertClose(w.grad!.scalars, dw.map(Float.init), rtol: 1e-4, atol: 1e-4, "dW \(xs)")
            assertClose(x.grad!.scalars, dx.map(Float.init), rtol: 1e-4, atol: 1e-4, "dX \(xs)")
        }
    }

    func testWeightGradientAloneMatchesWithInputGradient() {
        // A frozen input takes the dW-only path; it must give the same dW as the shared one.
        let x = randomTensor([4, 3, 16, 17], seed: 900)
        let w = randomTensor([5, 3, 3, 3], seed: 901, scale: 0.3); w.requiresGrad = true
        let y = conv2d(x, weight: w, padding: (1, 1))
        let gy = randomTensor(y.shape, seed: 902)
        XCTAssertNoThrow(try y.backward(seed: gy))
        let alone = w.grad!.scalars
        w.zeroGrad(); x.requiresGrad = true
        let y2 = conv2d(x, weight: w, padding: (1, 1))
        XCTAssertNoThrow(try y2.backward(seed: gy))
        assertClose(w.grad!.scalars, alone, rtol: 1e-5, atol: 1e-5, "dW shared vs alone")
    }
}
