import XCTest
import ReproKit

/// The linear probe (logistic regression on frozen features): it separates classes that a
/// hyperplane separates, stays at chance on labels unrelated to the features, and fits even
/// when called without gradients, as a task's evaluation calls it.
final class LinearProbeTests: XCTestCase {
    /// Three Gaussian blobs in 5-D, far apart along the first two axes, with a large offset and
    /// scale on the others (the probe standardises); the label is the blob.
    func blobs(_ n: Int, seed: UInt64) -> (Tensor, [Int]) {
        var rng = RNG(seed: seed)
        let noise = Tensor.randn([n, 5], rng: &rng).scalars
        let centres: [[Float]] = [[0, 0], [6, 0], [0, 6]]
        var values: [Float] = [], labels: [Int] = []
        for i in 0..<n {
            let k = i % 3, e = Array(noise[(5 * i)..<(5 * i + 5)])
            labels.append(k)
            values += [centres[k][0] + e[0], centres[k][1] + e[1], 100 + 50 * e[2], -7 + e[3], 3 * e[4]]
        }
        return (Tensor(values, shape: [n, 5]), labels)
    }

    func testSeparableClassesAreSeparated() {
        let (x, y) = blobs(300, seed: 1), (tx, ty) = blobs(150, seed: 2)
        let probe = withNoGrad { () -> LinearProbe in
            let p = LinearProbe(features: x, labels: y, classes: 3)
            XCTAssertFalse(GradMode.isEnabled, "the caller's gradient mode is restored")
            return p
        }
        XCTAssertTrue(GradMode.isEnabled)
        XCTAssertGreaterThan(probe.accuracy(tx, labels: ty), 0.97)
    }

    func testLabelsUnrelatedToTheFeaturesStayNearChance() {
        let (x, _) = blobs(600, seed: 3), (tx, _) = blobs(600, seed: 4)
        var rng = RNG(seed: 5)
        let y = (0..<600).map { _ in rng.int(below: 3) }, ty = (0..<600).map { _ in rng.int(below: 3) }
        let accuracy = LinearProbe(features: x, labels: y, classes: 3).accuracy(tx, labels: ty)
        XCTAssertLessThan(abs(accuracy - 1.0 / 3.0), 0.08, "\(accuracy)")
    }
}
