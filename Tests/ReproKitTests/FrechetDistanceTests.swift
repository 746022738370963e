import XCTest
import Foundation
import ReproKit

/// The Fréchet distance (FID's formula) against scipy on fixed features
/// (Tests/Fixtures/fid_golden.json from scripts/golden/fid.py), against closed forms, and the
/// LAPACK eigensolver it rests on against the definition of an eigenpair.
final class FrechetDistanceTests: XCTestCase {
    struct DoubleTensor: Decodable {
        let shape: [Int]
        let data: [Double]
    }

    struct Golden: Decodable {
        let generator: String
        let a: GoldenTensor, b: GoldenTensor
        let mean_a: [Double], mean_b: [Double]
        let cov_a: DoubleTensor, cov_b: DoubleTensor
        let trace_sqrt: Double
        let fid: Double
    }

    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fid_golden.json")
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    func assertClose(_ x: [Double], _ y: [Double], tolerance: Double, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(x.count, y.count, what, file: file, line: line)
        let worst = zip(x, y).map { Swift.abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): largest difference", file: file, line: line)
    }

    func testMatchesScipyOnFixedFeatures() {
        let g = Self.golden
        let a = FeatureStatistics(features: g.a.tensor), b = FeatureStatistics(features: g.b.tensor)
        XCTAssertEqual([a.count, a.dimension, b.count, b.dimension], [256, 16, 192, 16])
        assertClose(a.mean, g.mean_a, tolerance: 1e-12, "mean a")
        assertClose(b.mean, g.mean_b, tolerance: 1e-12, "mean b")
        assertClose(a.covariance, g.cov_a.data, tolerance: 1e-12, "covariance a (numpy.cov)")
        assertClose(b.covariance, g.cov_b.data, tolerance: 1e-12, "covariance b (numpy.cov)")
        // The data are not a trivial case: the sqrtm term is a large part of the distance.
        XCTAssertGreaterThan(g.trace_sqrt, g.fid / 2)
        XCTAssertEqual(frechetDistance(a, b), g.fid, accuracy: 1e-9 * g.fid, "FID vs scipy.linalg.sqrtm")
        XCTAssertEqual(frechetDistance(b, a), g.fid, accuracy: 1e-9 * g.fid, "the distance is symmetric")
    }

    /// A set against itself is 0, also when the covariance is singular (fewer examples than
    /// features), where rounding makes some eigenvalues slightly negative.
    func testASetIsAtDistanceZeroFromItself() {
        for (n, d) in [(256, 16), (10, 16)] {
            let x = randomTensor([n, d], seed: UInt64(n), scale: 2)
            let s = FeatureStatistics(features: x)
            let trace = (0..<d).reduce(0.0) { $0 + s.covariance[$1 * d + $1] }
            let fid = frechetDistance(s, s)
            XCTAssertFalse(fid.isNaN, "\(n) examples of \(d) features")
            XCTAssertEqual(fid, 0, accuracy: 1e-7 * trace, "\(n) examples of \(d) features")
        }
    }

    /// Moving every example by δ leaves the covariance alone, so the distance is exactly ‖δ‖².
    func testAMeanShiftAddsItsSquaredNorm() {
        let x = randomTensor([300, 8], seed: 3)
        let s = FeatureStatistics(features: x)
        for scale: Float in [0.1, 1, 5] {
            let delta = randomTensor([1, 8], seed: 4, scale: scale)
            let want = delta.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
            let shifted = FeatureStatistics(features: x + delta)
            // The shift rounds the Float features, moving the covariance by ~1e-7 of its size.
            XCTAssertEqual(frechetDistance(s, shifted), want, accuracy: 1e-5 + 1e-6 * want, "shift \(scale)")
            let exact = FeatureStatistics(mean: zip(s.mean, delta.scalars).map { $0 + Double($1) },
                                          covariance: s.covariance, count: s.count)
            XCTAssertEqual(frechetDistance(s, exact), want, accuracy: 1e-10 * Swift.max(want, 1), "shift \(scale), exact")
        }
    }

    /// Closed forms. Commuting (here diagonal) covariances give Σ (σ₁ᵢ − σ₂ᵢ)² over standard
    /// deviations, and rotating both sets together changes nothing. Rotating one set only makes
    /// S₁S₂ non-symmetric; its 2×2 block M then has Tr √M = √(Tr M + 2√det M), an independent
    /// formula for the trace term.
    func testClosedFormsOfGaussians() {
        let diag1 = FeatureStatistics(mean: [0, 0, 0], covariance: [1, 0, 0, 0, 4, 0, 0, 0, 9], count: 100)
        let diag2 = FeatureStatistics(mean: [1, 0, 0], covariance: [4, 0, 0, 0, 1, 0, 0, 0, 1], count: 100)
        // ‖μ₁ − μ₂‖² + (1 − 2)² + (2 − 1)² + (3 − 1)² = 1 + 1 + 1 + 4
        XCTAssertEqual(frechetDistance(diag1, diag2), 7, accuracy: 1e-12)
        let c = cos(0.7), s = sin(0.7)
        let q = [c, -s, 0, s, c, 0, 0, 0, 1]   // a rotation in the plane of the first two features
        func rotate(_ m: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: 9)
            for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { for l in 0..<3 {
                out[i * 3 + j] += q[i * 3 + k] * m[k * 3 + l] * q[j * 3 + l]
            } } } }
            return out
        }
        let r1 = FeatureStatistics(mean: [0, 0, 0], covariance: rotate(diag1.covariance), count: 100)
        let r2 = FeatureStatistics(mean: [c, s, 0], covariance: rotate(diag2.covariance), count: 100)
        XCTAssertEqual(frechetDistance(r1, r2), 7, accuracy: 1e-12)
        // diag(1, 4) against the rotated diag(4, 1): Tr M = 8c² + 17s², det M = 16; the third
        // feature adds √(9·1) = 3. Traces: 14 and 6.
        let traceRoot = (8 * c * c + 17 * s * s + 2 * 4).squareRoot() + 3
        let mixed = frechetDistance(diag1, FeatureStatistics(mean: [1, 0, 0], covariance: r2.covariance, count: 100))
        XCTAssertEqual(mixed, 1 + 14 + 6 - 2 * traceRoot, accuracy: 1e-12)
        XCTAssertGreaterThan(Swift.abs(mixed - 7), 0.1, "the rotation must matter for this check to mean anything")
    }

    /// LAPACK's dsyevd as bound: A vᵢ = λᵢ vᵢ for each returned pair, the vectors orthonormal,
    /// the values ascending.
    func testSymmetricEigenSatisfiesTheDefinition() throws {
        let n = 7
        let r = randomTensor([n, n], seed: 9).scalars.map(Double.init)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { a[i * n + j] = r[i * n + j] + r[j * n + i] } }
        let (values, vectors) = try XCTUnwrap(LAPACK.symmetricEigen(a, n: n))
        XCTAssertEqual(values, values.sorted())
        for i in 0..<n {
            for row in 0..<n {
                let av = (0..<n).reduce(0.0) { $0 + a[row * n + $1] * vectors[i * n + $1] }
                XCTAssertEqual(av, values[i] * vectors[i * n + row], accuracy: 1e-12, "A v\(i), row \(row)")
            }
            for j in 0..<n {
                let dot = (0..<n).reduce(0.0) { $0 + vectors[i * n + $1] * vectors[j * n + $1] }
                XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-12, "v\(i)·v\(j)")
            }
        }
    }
}
