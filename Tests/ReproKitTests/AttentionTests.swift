import XCTest
import Foundation
import ReproKit

/// Attention against softmax(QKᵀ/√d + mask)·V written out with plain loops in Double; its
/// gradients against central differences of that Double reference (h = 1e-5, so the only
/// error left is our float32 arithmetic).
final class AttentionTests: XCTestCase {
    struct Dims { let b, h, tq, tk, d, dv: Int }

    /// The reference forward: output [B, H, Tq, dv] and weights [B, H, Tq, Tk].
    static func reference(_ q: [Double], _ k: [Double], _ v: [Double], _ s: Dims,
                          allowed: (Int, Int, Int, Int) -> Bool) -> (out: [Double], p: [Double]) {
        var out = [Double](repeating: 0, count: s.b * s.h * s.tq * s.dv)
        var p = [Double](repeating: 0, count: s.b * s.h * s.tq * s.tk)
        for bi in 0..<s.b {
            for hi in 0..<s.h {
                let bh = bi * s.h + hi
                for i in 0..<s.tq {
                    var scores = [Double](repeating: -.infinity, count: s.tk)
                    for j in 0..<s.tk where allowed(bi, hi, i, j) {
                        var acc = 0.0
                        for c in 0..<s.d { acc += q[(bh * s.tq + i) * s.d + c] * k[(bh * s.tk + j) * s.d + c] }
                        scores[j] = acc / Double(s.d).squareRoot()
                    }
                    let m = scores.max()!
                    if m == -.infinity { continue }   // fully masked row: zeros
                    let e = scores.map { $0 == -.infinity ? 0 : Foundation.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for j in 0..<s.tk { p[(bh * s.tq + i) * s.tk + j] = e[j] / z }
                    for c in 0..<s.dv {
                        var acc = 0.0
                        for j in 0..<s.tk { acc += e[j] / z * v[(bh * s.tk + j) * s.dv + c] }
                        out[(bh * s.tq + i) * s.dv + c] = acc
                    }
                }
            }
        }
        return (out, p)
    }

    /// Runs our attention forward and backward (seeded with a random w) and compares output,
    /// weights and gradients with the Double reference. `probe` limits how many elements per
    /// input get a finite-difference check (nil: all).
    func check(_ s: Dims, mask: Tensor? = nil, causal: Bool = false, seed: UInt64 = 1, probe: Int? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let q = randomTensor([s.b, s.h, s.tq, s.d], seed: seed)
        let k = randomTensor([s.b, s.h, s.tk, s.d], seed: seed + 1)
        let v = randomTensor([s.b, s.h, s.tk, s.dv], seed: seed + 2)
        for t in [q, k, v] { t.requiresGrad = true }
        let (out, weights) = scaledDotProductAttention(query: q, key: k, value: v, mask: mask, causal: causal,
                                                       returnWeights: true)
        XCTAssertEqual(out.shape, [s.b, s.h, s.tq, s.dv], file: file, line: line)
        let w = randomTensor(out.shape, seed: seed + 3)
        try out.backward(seed: w)

        // Mask broadcast by hand: pad to rank 4, index 0 along size-1 axes.
        let maskShape = mask.map { [Int](repeating: 1, count: 4 - $0.rank) + $0.shape }
        let maskValues = mask?.scalars
        func allowed(_ b: Int, _ h: Int, _ i: Int, _ j: Int) -> Bool {
            if causal && j > i { return false }
            guard let ms = maskShape, let mv = maskValues else { return true }
            let idx = [b, h, i, j].enumerated().reduce(0) { acc, e in acc * ms[e.offset] + (ms[e.offset] == 1 ? 0 : e.element) }
            return mv[idx] != 0
        }
        let qd = q.scalars.map(Double.init), kd = k.scalars.map(Double.init), vd = v.scalars.map(Double.init)
        let ref = Self.reference(qd, kd, vd, s, allowed: allowed)
        assertClose(out.scalars, ref.out.map(Float.init), rtol: 1e-4, atol: 1e-5, "output", file: file, line: line)
        assertClose(weights!.scalars, ref.p.map(Float.init), rtol: 1e-4, atol: 1e-6, "weights", file: file, line: line)

        let wd = w.scalars.map(Double.init)
        func objective(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
            zip(Self.reference(q, k, v, s, allowed: allowed).out, wd).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let h = 1e-5
        for (which, t) in [q, k, v].enumerated() {
            var inputs = [qd, kd, vd]
            let n = t.count
            let indices = probe.map { p in (0..<p).map { ($0 * 7919 + 13) % n } } ?? Array(0..<n)
            for i in indices {
                let saved = inputs[which][i]
                inputs[which][i] = saved + h
                let up = objective(inputs[0], inputs[1], inputs[2])
                inputs[which][i] = saved - h
                let down = objective(inputs[0], inputs[1], inputs[2])
                inputs[which][i] = saved
                let numeric = (up - down) / (2 * h), analytic = Double(t.grad!.data[i])
                XCTAssertEqual(analytic, numeric, accuracy: 1e-4 + 1e-3 * abs(numeric),
                               "input \(which) element \(i)", file: file, line: line)
            }
        }
    }

    func testPlain() throws {
        try check(Dims(b: 2, h: 2, tq: 3, tk: 4, d: 3, dv: 2))
    }

    func testCausal() throws {
        try check(Dims(b: 2, h: 2, tq: 5, tk: 5, d: 4, dv: 3), causal: true)
        try check(Dims(b: 1, h: 2, tq: 3, tk: 6, d: 4, dv: 4), causal: true, seed: 5)   // Tq < Tk: top-left
    }

    func testKeyPaddingMaskWithCausal() throws {
        // Batch 0 attends to 4 keys, batch 1 to the first 2 only.
        let mask = Tensor([1, 1, 1, 1, 1, 1, 0, 0], shape: [2, 1, 1, 4])
        try check(Dims(b: 2, h: 3, tq: 4, tk: 4, d: 5, dv: 3), mask: mask)
        try check(Dims(b: 2, h: 3, tq: 4, tk: 4, d: 5, dv: 3), mask: mask, causal: true, seed: 9)
    }

    func testTwoDimensionalMaskAndPerHeadMask() throws {
        var rng = RNG(seed: 3)
        let mask2 = Tensor((0..<15).map { _ in rng.uniform() < 0.7 ? 1 : 0 }, shape: [3, 5])
        mask2[0, 0] = 1; mask2[1, 2] = 1; mask2[2, 4] = 1
        try check(Dims(b: 2, h: 2, tq: 3, tk: 5, d: 4, dv: 6), mask: mask2)
        let maskHead = Tensor((0..<(2 * 3 * 5)).map { $0 % 4 == 3 ? 0 : 1 }, shape: [1, 2, 3, 5])
        try check(Dims(b: 2, h: 2, tq: 3, tk: 5, d: 4, dv: 6), mask: maskHead, seed: 11)
    }

    /// Both strategies: 64³ heads and few heads go through sgemm, many small heads through
    /// our own loops (a d128-Transformer-like batch); odd sizes exercise the SIMD tails.
    func testBothStrategiesAndOddSizes() throws {
        let pad = Tensor((0..<(2 * 64)).map { $0 % 64 < 50 || $0 < 64 ? 1 : 0 }, shape: [2, 1, 1, 64])
        try check(Dims(b: 2, h: 1, tq: 64, tk: 64, d: 64, dv: 64), mask: pad, causal: true, probe: 24)
        try check(Dims(b: 8, h: 4, tq: 32, tk: 32, d: 32, dv: 32), causal: true, seed: 21, probe: 24)
        try check(Dims(b: 2, h: 2, tq: 80, tk: 72, d: 40, dv: 24), seed: 31, probe: 16)
        try check(Dims(b: 4, h: 2, tq: 7, tk: 9, d: 5, dv: 11), causal: true, seed: 41)
    }

    func testFullyMaskedRowGivesZerosNotNaN() throws {
        let mask = Tensor([1, 1, 1, 0, 0, 0], shape: [2, 3])    // query 1 sees nothing
        let q = randomTensor([1, 1, 2, 4]), k = randomTensor([1, 1, 3, 4], seed: 2), v = randomTensor([1, 1, 3, 2], seed: 3)
        for t in [q, k, v] { t.requiresGrad = true }
        let (out, weights) = scaledDotProductAttention(query: q, key: k, value: v, mask: mask, returnWeights: true)
        XCTAssertEqual(Array(out.scalars[2..<4]), [0, 0])
        XCTAssertEqual(Array(weights!.scalars[3..<6]), [0, 0, 0])
        try out.sum().backward()
        for t in [q, k, v] { XCTAssertTrue(t.grad!.scalars.allSatisfy { $0.isFinite }) }
        XCTAssertEqual(Array(q.grad!.scalars[4..<8]), [0, 0, 0, 0])
    }

    func testFloatFiniteDifferencesThroughOtherOps() {
        // As part of a larger graph: inputs used twice, output fed to further ops.
        let mask = Tensor([1, 1, 0, 1, 1, 1], shape: [2, 1, 1, 3])
        assertGradients([randomTensor([2, 2, 3, 4]), randomTensor([2, 2, 3, 4], seed: 2)], h: 5e-3) { t in
            let (o, _) = scaledDotProductAttention(query: t[0], key: t[1], value: t[0] * 0.5, mask: mask, causal: true)
            return o * 2
        }
    }

    // MARK: dropout on the weights

    func testDropoutIsDeterministicAndScalesKeptWeights() {
        let s = 24
        let q = randomTensor([2, 2, s, 8]), k = randomTensor([2, 2, s, 8], seed: 2)
        // V = identity per head: the output rows are the (dropped) weights themselves.
        let eye = Tensor.zeros([2, 2, s, s])
        for b in 0..<2 { for h in 0..<2 { for i in 0..<s { eye[b, h, i, i] = 1 } } }
        var rng = RNG(seed: 42)
        let (o1, w1) = scaledDotProductAttention(query: q, key: k, value: eye, dropout: 0.25, rng: &rng, returnWeights: true)
        XCTAssertNotEqual(rng, RNG(seed: 42), "the generator advances")
        var rng2 = RNG(seed: 42)
        let (o2, _) = scaledDotProductAttention(query: q, key: k, value: eye, dropout: 0.25, rng: &rng2)
        XCTAssertEqual(o1.scalars, o2.scalars, "same seed, same mask")
        var rng3 = RNG(seed: 43)
        let (o3, _) = scaledDotProductAttention(query: q, key: k, value: eye, dropout: 0.25, rng: &rng3)
        XCTAssertNotEqual(o1.scalars, o3.scalars, "another seed, another mask")
        let (plain, w0) = scaledDotProductAttention(query: q, key: k, value: eye, returnWeights: true)
        XCTAssertEqual(w1!.scalars, w0!.scalars, "returned weights are before dropout")
        var kept = 0
        for (o, p) in zip(o1.scalars, plain.scalars) {
            if o != 0 { kept += 1; XCTAssertEqual(o, p / 0.75, accuracy: 1e-6) }
        }
        let frac = Double(kept) / Double(o1.count)
        XCTAssertEqual(frac, 0.75, accuracy: 0.04)
    }

    func testDropoutGradients() {
        // Small heads (own loops) and one head (sgemm), with a causal mask on the second.
        for (b, h, causal) in [(2, 2, false), (1, 1, true)] {
            assertGradients([randomTensor([b, h, 4, 3]), randomTensor([b, h, 5, 3], seed: 2),
                             randomTensor([b, h, 5, 2], seed: 3)]) { t in
                var rng = RNG(seed: 8)    // the same mask on every evaluation
                return scaledDotProductAttention(query: t[0], key: t[1], value: t[2], causal: causal,
                                                 dropout: 0.3, rng: &rng).output
            }
        }
        // Large heads (the sgemm path).
        let k = randomTensor([1, 1, 64, 64], seed: 5, scale: 0.3), v = randomTensor([1, 1, 64, 64], seed: 6)
        assertGradients([randomTensor([1, 1, 64, 64], seed: 4, scale: 0.3)]) { t in
            var rng = RNG(seed: 9)
            return scaledDotProductAttention(query: t[0], key: k, value: v, causal: true, dropout: 0.2, rng: &rng).output
        }
    }
}
