import XCTest
import Foundation
import ReproKit

final class PositionalEncodingTests: XCTestCase {
    func testSinusoidsFollowVaswaniAndAreNotSaved() {
        let (d, maxLength) = (6, 50)
        let pe = SinusoidalPositionalEncoding(dim: d, maxLength: maxLength)
        XCTAssertTrue(pe.stateDict().isEmpty, "a constant, not a checkpoint entry")
        XCTAssertTrue(pe.parameters.isEmpty)
        XCTAssertEqual(pe.table.shape, [maxLength, d])
        for pos in [0, 1, 7, 49] {
            for i in 0..<(d / 2) {
                let angle = Double(pos) / Foundation.pow(10000, Double(2 * i) / Double(d))
                XCTAssertEqual(Double(pe.table[pos, 2 * i]), Foundation.sin(angle), accuracy: 1e-6)
                XCTAssertEqual(Double(pe.table[pos, 2 * i + 1]), Foundation.cos(angle), accuracy: 1e-6)
            }
        }
        // Added at each position, the same for every batch element; gradient passes through.
        let x = randomTensor([2, 4, d], seed: 1)
        let y = pe(x)
        for b in 0..<2 { for t in 0..<4 { for j in 0..<d {
            XCTAssertEqual(y[b, t, j], x[b, t, j] + pe.table[t, j], accuracy: 1e-6)
        } } }
        assertGradients([x]) { pe($0[0]) }
    }

    func testLearnedEmbeddingAddsRowsAndLearnsThem() throws {
        var rng = RNG(seed: 2)
        let pe = LearnedPositionalEmbedding(maxLength: 10, dim: 3, rng: &rng)
        XCTAssertEqual(pe.stateDict().map(\.0), ["weight"])
        XCTAssertEqual(pe.weight.shape, [10, 3])
        XCTAssertTrue(pe.weight.requiresGrad)
        let std = (pe.weight.scalars.reduce(0) { $0 + $1 * $1 } / 30).squareRoot()
        XCTAssertEqual(std, 0.02, accuracy: 0.01)
        let x = randomTensor([2, 4, 3], seed: 3)
        let y = pe(x)
        XCTAssertEqual(y[1, 3, 2], x[1, 3, 2] + pe.weight[3, 2], accuracy: 1e-7)
        // d Σ(y ⊙ g) / d weight[t] = Σ_b g[b, t]; rows past T get nothing.
        let g = randomTensor([2, 4, 3], seed: 4)
        try (y * g).sum().backward()
        for t in 0..<10 { for j in 0..<3 {
            let expected: Float = t < 4 ? g[0, t, j] + g[1, t, j] : 0
            XCTAssertEqual(pe.weight.grad![t, j], expected, accuracy: 1e-6)
        } }
        assertGradients([x, pe.weight]) { pe($0[0]) }
    }
}
