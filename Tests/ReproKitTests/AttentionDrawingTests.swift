import XCTest
import ReproKit

/// The Vision Transformer's pictures: attention rollout (Abnar & Zuidema 2020), attention
/// maps over their images (ViT Figure 6) and position-embedding similarity (Figure 7,
/// centre). Every picture is written to a PNG and checked from the file read back.
final class AttentionDrawingTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = try makeTemporaryFolder("repro-attention-drawing")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: Attention rollout

    func testRolloutOfTwoTokensByHand() {
        // Layer 1: everyone attends token 0 → Â1 = [[1, 0], [.5, .5]].
        // Layer 2: everyone attends token 1 → Â2 = [[.5, .5], [0, 1]].
        let a1 = Tensor([1, 0, 1, 0], shape: [1, 1, 2, 2])
        let a2 = Tensor([0, 1, 0, 1], shape: [1, 1, 2, 2])
        // R = Â2 · Â1 (the first layer applied first); Â1 · Â2 would be [[.5, .5], [.25, .75]].
        assertClose(attentionRollout([a1, a2]).scalars, [0.75, 0.25, 0.5, 0.5])
        assertClose(attentionRollout([a2, a1]).scalars, [0.5, 0.5, 0.25, 0.75])
        // One layer: the identity added and rows renormalised.
        assertClose(attentionRollout([a1]).scalars, [1, 0, 0.5, 0.5])
        // Heads are averaged before the identity is added: mean [[.5, .5], [.5, .5]].
        let twoHeads = Tensor([1, 0, 1, 0, 0, 1, 0, 1], shape: [1, 2, 2, 2])
        assertClose(attentionRollout([twoHeads]).scalars, [0.75, 0.25, 0.25, 0.75])
    }

    func testRolloutMatchesPlainLoops() {
        var rng = SystemRandomNumberGenerator()
        let b = 2, t = 5
        let heads = [2, 3, 1]
        var layers: [[Double]] = []  // [B, H, T, T] each, in doubles
        for (l, h) in heads.enumerated() {
            var a = [Double](repeating: 0, count: b * h * t * t)
            for row in 0..<b * h * t {
                let raw = (0..<t).map { _ in Double.random(in: 0...3, using: &rng) }
                // Softmax rows, except the last layer: rows that do not sum to 1 (as after
                // masking) must be renormalised just the same.
                let e = raw.map { exp($0) }, s = e.reduce(0, +)
                for j in 0..<t { a[row * t + j] = l == 2 ? raw[j] : e[j] / s }
            }
            layers.append(a)
        }
        let tensors = zip(layers, heads).map { a, h in Tensor(a.map { Float($0) }, shape: [b, h, t, t]) }
        let got = attentionRollout(tensors)
        XCTAssertEqual(got.shape, [b, t, t])

        for bi in 0..<b {
            var r: [[Double]]? = nil
            for (l, h) in heads.enumerated() {
                var m = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
                for i in 0..<t {
                    for j in 0..<t {
                        var mean = 0.0
                        for hi in 0..<h { mean += Double(Float(layers[l][((bi * h + hi) * t + i) * t + j])) }
                        m[i][j] = mean / Double(h) + (i == j ? 1 : 0)
                    }
                    let s = m[i].reduce(0, +)
                    m[i] = m[i].map { $0 / s }
                }
                guard let prev = r else { r = m; continue }
                var next = m
                for i in 0..<t {
                    for j in 0..<t {
                        next[i][j] = 0
                        for k in 0..<t { next[i][j] += m[i][k] * prev[k][j] }
                    }
                }
                r = next
            }
            for i in 0..<t {
                var rowSum = 0.0
                for j in 0..<t {
                    let v = Double(got[bi, i, j])
                    XCTAssertEqual(v, r![i][j], accuracy: 1e-6, "batch \(bi), (\(i), \(j))")
                    rowSum += v
                }
                XCTAssertEqual(rowSum, 1, accuracy: 1e-5)
            }
        }
        // The batch items are rolled out separately.
        XCTAssertNotEqual(got[0, 0, 0], got[1, 0, 0])
    }

    func testClassTokenMapsArePatchesInRowMajorOrder() {
        let gh = 2, gw = 3, t = 1 + gh * gw
        let values = (0..<(2 * t * t)).map(Float.init)
        let maps = classTokenAttentionMaps(Tensor(values, shape: [2, t, t]), gridHeight: gh, gridWidth: gw)
        XCTAssertEqual(maps.shape, [2, gh, gw])
        for b in 0..<2 { for i in 0..<gh { for j in 0..<gw {
            XCTAssertEqual(maps[b, i, j], values[b * t * t + 1 + i * gw + j])
        } } }
        let perHead = classTokenAttentionMaps(Tensor(values, shape: [1, 2, t, t]), gridHeight: gh, gridWidth: gw)
        XCTAssertEqual(perHead.shape, [1, 2, gh, gw])
        XCTAssertEqual(perHead[0, 1, 1, 2], values[t * t + 1 + 5])
    }

    // MARK: helpers

    private func assertClose(_ got: [Float], _ want: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (g, w) in zip(got, want) { XCTAssertEqual(Double(g), w, accuracy: 1e-6, "\(got) vs \(want)", file: file, line: line) }
    }
}
