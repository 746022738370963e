import XCTest
import ReproKit

/// Checks a golden case: forward output, then every input gradient seeded with grad_output.
/// `build` makes the op's output from the case's input tensors (keyed as in the fixture).
func assertGoldenCase(_ c: GoldenCase, rtol: Float = 1e-5, atol: Float = 1e-5,
                      file: StaticString = #filePath, line: UInt = #line,
                      _ build: (GoldenCase, [String: Tensor]) -> Tensor) {
    var inputs: [String: Tensor] = [:]
    for (k, v) in c.inputs {
        let t = v.tensor
        t.requiresGrad = c.grads?[k] != nil
        inputs[k] = t
    }
    let y = build(c, inputs)
    XCTAssertEqual(y.shape, c.output.shape, "\(c.name): output shape", file: file, line: line)
    assertClose(y.scalars, c.output.data, rtol: rtol, atol: atol, "\(c.name) output", file: file, line: line)
    guard let seed = c.grad_output, let grads = c.grads else {
        XCTFail("\(c.name): fixture has no gradients", file: file, line: line); return
    }
    XCTAssertNoThrow(try y.backward(seed: seed.tensor), file: file, line: line)
    for (k, expected) in grads {
        guard let got = inputs[k]?.grad else {
            XCTFail("\(c.name): no gradient for \(k)", file: file, line: line); continue
        }
        XCTAssertEqual(got.shape, expected.shape, "\(c.name): grad \(k) shape", file: file, line: line)
        assertClose(got.scalars, expected.data, rtol: rtol, atol: atol, "\(c.name) grad \(k)", file: file, line: line)
    }
}

/// Direct-loop convolution in Double: the reference the im2col path must match.
private func referenceConv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int), padding: (Int, Int),
                           dilation: (Int, Int), groups: Int) -> [Double] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let ho = (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
    let wo = (wd + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
    let og = o / groups
    var out = [Double](repeating: 0, count: n * o * ho * wo)
    for i in 0..<n { for oc in 0..<o { for y in 0..<ho { for xx in 0..<wo {
        var s = Double(b?.data[oc] ?? 0)
        let g = oc / og
        for ci in 0..<cg { for ki in 0..<kh { for kj in 0..<kw {
            let ih = y * stride.0 - padding.0 + ki * dilation.0, iw = xx * stride.1 - padding.1 + kj * dilation.1
            if ih < 0 || ih >= h || iw < 0 || iw >= wd { continue }
            s += Double(x.data[((i * c + g * cg + ci) * h + ih) * wd + iw])
                * Double(w.data[((oc * cg + ci) * kh + ki) * kw + kj])
        } } }
        out[((i * o + oc) * ho + y) * wo + xx] = s
    } } } }
    return out
}

final class ConvTests: XCTestCase {
    func testConv2dGradientsAgainstFiniteDifferences() {
        // (x shape, out channels, kernel, stride, padding, dilation, groups, bias)
        let configs: [([Int], Int, (Int, Int), (Int, Int), (Int, Int), (Int, Int), Int, Bool)] = [
            ([2, 3, 5, 5], 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, true),      // batch > 1, same padding
            ([2, 2, 7, 6], 3, (3, 3), (2, 2), (1, 1), (1, 1), 1, true),      // stride 2
            ([1, 2, 5, 13], 2, (3, 3), (2, 2), (1, 1), (1, 1), 1, true),     // stride 2, rows ≥ 5 wide (SIMD)
            ([1, 2, 8, 7], 2, (3, 3), (1, 1), (2, 1), (2, 2), 1, true),      // dilation
            ([2, 4, 5, 5], 6, (3, 3), (1, 2), (1, 1), (1, 1), 2, true),      // groups
            ([2, 3, 5, 4], 3, (3, 3), (1, 1), (1, 1), (1, 1), 3, false),     // depthwise, no bias
            ([1, 2, 6, 7], 3, (3, 2), (2, 1), (1, 0), (1, 1), 1, false),     // non-square kernel
            ([2, 3, 4, 5], 4, (1, 1), (1, 1), (0, 0), (1, 1), 1, true),      // pointwise (no im2col)
            ([2, 4, 3, 4], 4, (1, 1), (1, 1), (0, 0), (1, 1), 2, true),      // pointwise, groups
            ([2, 3, 6, 6], 2, (1, 1), (2, 2), (0, 0), (1, 1), 1, false),     // 1x1 stride 2
            ([2, 2, 17, 16], 3, (3, 3), (1, 1), (1, 1), (1, 1), 1, true),    // ≥ 256 pixels: per-image GEMMs
        ]
        for (i, cfg) in configs.enumerated() {
            let (xs, o, k, s, p, d, g, hasBias) = cfg
            let x = randomTensor(xs, seed: UInt64(10 + i))
            let w = randomTensor([o, xs[1] / g, k.0, k.1], seed: UInt64(40 + i), scale: 0.5)
            let b = randomTensor([o], seed: UInt64(70 + i))
            let inputs = hasBias ? [x, w, b] : [x, w]
            assertGradients(inputs) { t in
                conv2d(t[0], weight: t[1], bias: hasBias ? t[2] : nil, stride: s, padding: p, dilation: d, groups: g)
            }
        }
    }

    func testConv2dMatchesDirectLoopsAcrossChunksAndLayouts() {
        // Large enough batches that the column buffer splits into several chunks, for both the
        // reorder-after-GEMM layout (small images) and the per-image GEMMs (large images).
        let configs: [([Int], Int, (Int, Int), Int)] = [
            ([130, 24, 8, 8], 24, (1, 1), 1),
            ([30, 16, 32, 32], 8, (1, 1), 1),
            ([40, 12, 12, 12], 12, (2, 2), 2),
        ]
        for (i, (xs, o, stride, groups)) in configs.enumerated() {
            let x = randomTensor(xs, seed: UInt64(100 + i)); x.requiresGrad = true
            let w = randomTensor([o, xs[1] / groups, 3, 3], seed: UInt64(200 + i), scale: 0.2); w.requiresGrad = true
            let b = randomTensor([o], seed: UInt64(300 + i)); b.requiresGrad = true
            let y = conv2d(x, weight: w, bias: b, stride: stride, padding: (1, 1), groups: groups)
            let ref = referenceConv(x, w, b, stride: stride, padding: (1, 1), dilation: (1, 1), groups: groups)
            assertClose(y.scalars, ref.map(Float.init), rtol: 1e-4, atol: 1e-4, "forward \(xs)")
            // Seeding with g = y' makes dW, dx checkable by a second reference: L = <y, g>.
            let gy = randomTensor(y.shape, seed: 400)
            XCTAssertNoThrow(try y.backward(seed: gy))
            // dbias = Σ g over N, H, W; dW and dx checked through the adjoint identity
            // <conv(x', w), g> = <x', dx> for random x', and <conv(x, w'), g> - bias term = <w', dW>.
            let (n, ho, wo) = (y.shape[0], y.shape[2], y.shape[3])
            var db = [Double](repeating: 0, count: o)
            for j in 0..<n { for oc in 0..<o { for q in 0..<(ho * wo) { db[oc] += Double(gy.data[(j * o + oc) * ho * wo + q]) } } }
            assertClose(b.grad!.scalars, db.map(Float.init), rtol: 1e-4, atol: 1e-3, "dbias \(xs)")
            let xp = randomTensor(xs, seed: 500), wp = randomTensor(w.shape, seed: 501)
            let lhsX = zip(referenceConv(xp, w, nil, stride: stride, padding: (1, 1), dilation: (1, 1), groups: groups),
                           gy.scalars).reduce(0.0) { $0 + $1.0 * Double($1.1) }
            let rhsX = zip(xp.scalars, x.grad!.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(lhsX, rhsX, accuracy: 1e-4 * max(1, abs(lhsX)), "dx adjoint \(xs)")
            let lhsW = zip(referenceConv(x, wp, nil, stride: stride, padding: (1, 1), dilation: (1, 1), groups: groups),
                           gy.scalars).reduce(0.0) { $0 + $1.0 * Double($1.1) }
            let rhsW = zip(wp.scalars, w.grad!.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(lhsW, rhsW, accuracy: 1e-4 * max(1, abs(lhsW)), "dW adjoint \(xs)")
        }
    }

    func testConv2dValues() {
        // A 2x2 box filter over a 3x3 ramp: each output is the sum of its window, plus bias.
        let x = Tensor((0..<9).map(Float.init), shape: [1, 1, 3, 3])
        let w = Tensor.ones([1, 1, 2, 2])
        let y = conv2d(x, weight: w, bias: Tensor([10]))
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.scalars, [18, 22, 30, 34])
        let padded = conv2d(x, weight: w, padding: (1, 1), dilation: (1, 1))
        XCTAssertEqual(padded.shape, [1, 1, 4, 4])
        XCTAssertEqual(padded.scalars, [0, 1, 3, 2, 3, 8, 12, 7, 9, 20, 24, 13, 6, 13, 15, 8])
    }

    func testConv2dEmptyBatch() throws {
        let x = Tensor.zeros([0, 3, 5, 5]); x.requiresGrad = true
        let w = randomTensor([4, 3, 3, 3]); w.requiresGrad = true
        let b = randomTensor([4]); b.requiresGrad = true
        let y = conv2d(x, weight: w, bias: b, padding: (1, 1))
        XCTAssertEqual(y.shape, [0, 4, 5, 5])
        try y.backward(seed: Tensor.zeros([0, 4, 5, 5]))
        XCTAssertEqual(w.grad?.scalars, [Float](repeating: 0, count: w.count))
        XCTAssertEqual(b.grad?.scalars, [0, 0, 0, 0])
    }

    func testConv2dGolden() {
        let cases = Golden.cases("conv2d")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            assertGoldenCase(c, rtol: 1e-4, atol: 1e-5) { c, t in
                conv2d(t["x"]!, weight: t["weight"]!, bias: t["bias"], stride: c.pair("stride"),
                       padding: c.pair("padding"), dilation: c.pair("dilation"), groups: c.int("groups"))
            }
        }
    }

    func testConvTranspose2dGradientsAgainstFiniteDifferences() {
        // (x shape, out channels, kernel, stride, padding, output padding, dilation, groups, bias)
        let configs: [([Int], Int, (Int, Int), (Int, Int), (Int, Int), (Int, Int), (Int, Int), Int, Bool)] = [
            ([2, 3, 3, 3], 2, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, true),
            ([1, 2, 3, 4], 3, (2, 2), (1, 1), (0, 0), (0, 0), (1, 1), 1, true),
            ([2, 4, 3, 3], 6, (4, 4), (2, 2), (1, 1), (0, 0), (1, 1), 2, true),
            ([1, 2, 3, 4], 2, (3, 2), (2, 1), (1, 0), (1, 0), (2, 2), 1, false),
            ([2, 3, 4, 4], 5, (1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1, true),
            ([1, 2, 3, 4], 3, (3, 3), (1, 1), (1, 2), (1, 1), (2, 2), 1, true),   // stride 1, output padding
            ([2, 4, 5, 5], 4, (3, 3), (1, 1), (1, 1), (0, 0), (1, 1), 2, true),
        ]
        for (i, cfg) in configs.enumerated() {
            let (xs, o, k, s, p, op, d, g, hasBias) = cfg
            let x = randomTensor(xs, seed: UInt64(20 + i))
            let w = randomTensor([xs[1], o / g, k.0, k.1], seed: UInt64(50 + i), scale: 0.5)
            let b = randomTensor([o], seed: UInt64(80 + i))
            let inputs = hasBias ? [x, w, b] : [x, w]
            assertGradients(inputs) { t in
                convTranspose2d(t[0], weight: t[1], bias: hasBias ? t[2] : nil, stride: s, padding: p,
                                outputPadding: op, dilation: d, groups: g)
            }
        }
    }

    func testConvTranspose2dIsAdjointOfConv2d() {
        // <convT(y, W), x> = <y, conv(x, W)> for the same weight: the defining property.
        let w = randomTensor([6, 4, 3, 3], seed: 7)
        let x = randomTensor([2, 4, 9, 9], seed: 8)
        let cx = conv2d(x, weight: w, stride: (2, 2), padding: (1, 1))
        let y = randomTensor(cx.shape, seed: 9)
        let ty = convTranspose2d(y, weight: w, stride: (2, 2), padding: (1, 1))
        XCTAssertEqual(ty.shape, x.shape)
        let lhs = zip(ty.scalars, x.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(y.scalars, cx.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * abs(rhs))
    }

    func testConvTranspose2dGolden() {
        let cases = Golden.cases("conv_transpose2d")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            assertGoldenCase(c, rtol: 1e-4, atol: 1e-5) { c, t in
                convTranspose2d(t["x"]!, weight: t["weight"]!, bias: t["bias"], stride: c.pair("stride"),
                                padding: c.pair("padding"), outputPadding: c.pair("output_padding"),
                                dilation: c.pair("dilation"), groups: c.int("groups"))
            }
        }
    }
}
