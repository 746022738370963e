import XCTest
import ReproKit

final class CoreTests: XCTestCase {
    func testBroadcastArithmeticGradients() {
        assertGradients([randomTensor([2, 3, 4]), randomTensor([3, 1], seed: 2)]) { $0[0] + $0[1] }
        assertGradients([randomTensor([2, 3, 4]), randomTensor([4], seed: 2)]) { $0[0] - $0[1] }
        assertGradients([randomTensor([2, 1, 4]), randomTensor([3, 1], seed: 2)]) { $0[0] * $0[1] }
        assertGradients([randomTensor([2, 3]), randomTensor([2, 3], seed: 2).affine(scale: 0.2, shift: 2)]) {
            $0[0] / $0[1]
        }
        assertGradients([randomTensor([3, 4])]) { 2 - $0[0] * 3 + 1 }
    }

    func testBroadcastValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([10, 20, 30], shape: [3])
        XCTAssertEqual((a + b).scalars, [11, 22, 33, 14, 25, 36])
        let c = Tensor([100, 200], shape: [2, 1])
        XCTAssertEqual((a * c).scalars, [100, 200, 300, 800, 1000, 1200])
        XCTAssertEqual(broadcastShape([2, 1, 4], [3, 1]), [2, 3, 4])
        XCTAssertNil(broadcastShape([2, 3], [4]))
    }

    func testSumMeanGradients() {
        assertGradients([randomTensor([2, 3, 4])]) { $0[0].sum(axes: [0, 2]) }
        assertGradients([randomTensor([2, 3, 4])]) { $0[0].mean(axis: 1, keepDims: true) }
        assertGradients([randomTensor([5])]) { $0[0].sum() }
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(t.sum(axis: 0).scalars, [5, 7, 9])
        XCTAssertEqual(t.sum(axis: 1).scalars, [6, 15])
        XCTAssertEqual(t.mean().item(), 3.5)
    }

    func testMatmulAllTransposesAgainstFiniteDifferences() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randomTensor(ta ? [4, 3] : [3, 4], seed: 3)
            let b = randomTensor(tb ? [5, 4] : [4, 5], seed: 4)
            assertGradients([a, b]) { $0[0].matmul($0[1], transposeA: ta, transposeB: tb) }
            // Batched with a shared right operand, and batched on both sides.
            let ab = randomTensor(ta ? [2, 4, 3] : [2, 3, 4], seed: 5)
            assertGradients([ab, b]) { $0[0].matmul($0[1], transposeA: ta, transposeB: tb) }
            let bb = randomTensor(tb ? [2, 5, 4] : [2, 4, 5], seed: 6)
            assertGradients([ab, bb]) { $0[0].matmul($0[1], transposeA: ta, transposeB: tb) }
            assertGradients([a, bb]) { $0[0].matmul($0[1], transposeA: ta, transposeB: tb) }
        }
    }

    func testMatmulValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        XCTAssertEqual(a.matmul(b).scalars, [58, 64, 139, 154])
        XCTAssertEqual(a.matmul(a, transposeB: true).scalars, [14, 32, 32, 77])
    }

    func testBackwardOfNonScalarNeedsSeed() {
        let x = randomTensor([3]); x.requiresGrad = true
        let y = x * 2
        XCTAssertThrowsError(try y.backward()) { error in
            XCTAssertTrue("\(error)".contains("seed"), "\(error)")
        }
        XCTAssertNoThrow(try y.backward(seed: Tensor([1, 1, 1])))
        XCTAssertEqual(x.grad?.scalars, [2, 2, 2])
    }

    func testGradientsAccumulateAcrossBackwardCalls() throws {
        let x = Tensor([1, 2]); x.requiresGrad = true
        try (x * x).sum().backward()
        try (x * 3).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [2 + 3, 4 + 3])
        x.zeroGrad()
        XCTAssertNil(x.grad)
    }

    func testSharedGradientIsNotAliasedBetweenLeaves() throws {
        let a = Tensor([1, 2]), b = Tensor([3, 4])
        a.requiresGrad = true; b.requiresGrad = true
        try (a + b).sum().backward()
        a.grad!.data[0] = 100   // e.g. clipping in place
        XCTAssertEqual(b.grad?.scalars, [1, 1])
    }

    func testNoGradAndDetachRecordNothing() throws {
        let x = randomTensor([3]); x.requiresGrad = true
        let y = withNoGrad { x * 2 }
        XCTAssertFalse(y.tracksGrad)
        XCTAssertFalse((x.detached() * 2).tracksGrad)
        XCTAssertTrue((x * 2).tracksGrad)
    }

    func testRNGIsDeterministicAndIndependentOfThreadCount() {
        var a = RNG(seed: 7), b = RNG(seed: 7)
        let x = Tensor.randn([100_003], rng: &a)
        let saved = Threads.count
        Threads.set(1)
        let y = Tensor.randn([100_003], rng: &b)
        Threads.set(saved)
        XCTAssertEqual(x.scalars, y.scalars)
        XCTAssertEqual(a, b)
        var c = RNG(seed: 8)
        XCTAssertNotEqual(Tensor.randn([16], rng: &c).scalars, Array(x.scalars.prefix(16)))
        // Moments of N(0,1) and U[0,1).
        let m = x.mean().item(), v = ((x - m) * (x - m)).mean().item()
        XCTAssertEqual(m, 0, accuracy: 0.02); XCTAssertEqual(v, 1, accuracy: 0.02)
        var d = RNG(seed: 9)
        let u = Tensor.uniform([100_000], rng: &d)
        XCTAssertEqual(u.mean().item(), 0.5, accuracy: 0.01)
        XCTAssertTrue(u.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertNotEqual(RNG(seed: 7).split(1), RNG(seed: 7).split(2))
    }

    func testBufferPoolReusesFreedStorage() {
        let pool = BufferPool.shared
        let n = 12_345
        do { _ = Tensor.zeros([n]) }
        let hits = pool.hits
        do { _ = Tensor.zeros([n]) }
        XCTAssertEqual(pool.hits, hits + 1)
        // A slightly different size (the next batch of another sentence length) takes the
        // same buffer: sizes are pooled by class.
        do { _ = Tensor.zeros([n + 7]) }
        XCTAssertEqual(pool.hits, hits + 2)
        // A shorter batch (here a fifth smaller, another class) reuses the longer one's buffer
        // rather than allocating; one over twice as small does not take it.
        let big = 1_000_003
        pool.trim()   // no idle buffers of other tests in reach
        do { _ = Tensor.zeros([big]) }
        let before = (pool.hits, pool.misses)
        do { _ = Tensor.zeros([big * 4 / 5]) }
        XCTAssertEqual(pool.hits, before.0 + 1)
        do { _ = Tensor.zeros([big / 3]) }
        XCTAssertEqual(pool.misses, before.1 + 1)
    }

    func testBufferPoolSizeClassesWasteAtMostOneSixteenth() {
        for n in [1, 15, 16, 17, 100, 1000, 12_345, 65_536, 65_537, 4_080_000, 123_456_789] {
            let c = BufferPool.sizeClass(n)
            XCTAssertGreaterThanOrEqual(c, n)
            XCTAssertEqual(c % 16, 0, "\(n) → \(c) is not whole cache lines")
            if n > 256 { XCTAssertLessThanOrEqual(Double(c - n), Double(n) / 16, "\(n) → \(c)") }
            XCTAssertEqual(BufferPool.sizeClass(c), c, "a class is its own class")
        }
    }
}
