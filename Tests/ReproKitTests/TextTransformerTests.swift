import XCTest
import ReproKit

/// CLIP's text encoder (`TextTransformer`): the features of a text are its final state at
/// [EOS], which the causal mask keeps from seeing the filler after shorter sequences, so a
/// text's features do not depend on the batch it is encoded in; and they do depend on every
/// token before its [EOS].
final class TextTransformerTests: XCTestCase {
    func model() -> TextTransformer {
        var rng = RNG(seed: 5)
        let m = TextTransformer(TextTransformerShape(vocabulary: 20, contextLength: 8, width: 16, depth: 2, heads: 4, mlp: 32),
                                rng: &rng)
        m.eval()
        return m
    }

    func testFeaturesAreEachTextsEOSStateWhateverItsBatch() {
        let m = model()
        let short = [1, 7, 9, 2], long = [1, 4, 5, 6, 11, 12, 2]
        let alone = m.features([short])
        let batched = m.features([long, short, [1, 2]])
        XCTAssertEqual(batched.shape, [3, 16])
        let a = alone.scalars, b = Array(batched.scalars[16..<32])
        for i in 0..<16 { XCTAssertEqual(a[i], b[i], accuracy: 1e-5, "feature \(i) changed with the batch's padding") }
        // Computed by hand: the stack's output at the last position of the text alone.
        let x = m.positional_embedding(m.token_embedding(long, shape: [1, long.count]))
        let h = m.transformer(x, causal: true).output.slice(axis: 1, (long.count - 1)..<long.count).scalars
        for i in 0..<16 { XCTAssertEqual(batched.scalars[i], h[i], accuracy: 1e-5) }
    }

    func testEveryTokenBeforeEOSMatters() {
        let m = model()
        let base = m.features([[1, 7, 9, 2]]).scalars
        for changed in [[1, 8, 9, 2], [1, 7, 10, 2], [3, 7, 9, 2]] {
            let other = m.features([changed]).scalars
            XCTAssertGreaterThan(zip(base, other).map { abs($0 - $1) }.max()!, 1e-4, "\(changed)")
        }
    }

    /// The features' gradient reaches the token table of every token before [EOS] and no
    /// other row (finite differences on one entry of a used row).
    func testGradientReachesTheTokensItRead() throws {
        let m = model()
        let ids = [1, 7, 9, 2]
        let loss = { (m.features([ids]) * m.features([ids])).sum() }
        let l = loss()
        try l.backward()
        let g = m.token_embedding.weight.grad!.scalars
        for row in 0..<20 {
            let norm = (0..<16).map { abs(g[row * 16 + $0]) }.reduce(0, +)
            if ids.contains(row) { XCTAssertGreaterThan(norm, 0, "row \(row)") } else { XCTAssertEqual(norm, 0, "row \(row)") }
        }
        let (row, col) = (7, 3), eps: Float = 1e-2
        func value(_ delta: Float) -> Float {
            let w = m.token_embedding.weight
            w.data[row * 16 + col] += delta
            defer { w.data[row * 16 + col] -= delta }
            return withNoGrad { loss().item() }
        }
        let numeric = (value(eps) - value(-eps)) / (2 * eps)
        XCTAssertEqual(g[row * 16 + col], numeric, accuracy: max(1e-3, abs(numeric) * 0.03))
    }
}
