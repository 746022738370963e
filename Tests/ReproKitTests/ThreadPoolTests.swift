import XCTest
import ReproKit

/// The pool's hand-out of work (every item exactly once, whoever arrives) and BLAS.gemm's
/// split of large products over it (the same C as one sgemm).
final class ThreadPoolTests: XCTestCase {
    override func tearDown() { Threads.set(Threads.defaultCount) }

    /// Many short jobs back to back: workers that arrive late (or spin, or sleep) must neither
    /// miss nor repeat an item, and a caller that did every item alone must still return.
    func testDynamicForRunsEveryItemOnceAcrossManyJobs() {
        for threads in [2, 3] {
            Threads.set(threads)
            let seen = UnsafeMutablePointer<Int>.allocate(capacity: 64)
            defer { seen.deallocate() }
            for round in 0..<3000 {
                let count = 1 + round % 64
                seen.initialize(repeating: 0, count: count)
                Threads.pool.dynamicFor(count) { worker, item in
                    precondition(worker >= 0 && worker < threads)
                    seen[item] += 1   // distinct items: no two threads write one slot
                }
                for i in 0..<count where seen[i] != 1 {
                    return XCTFail("threads \(threads), job \(round): item \(i) ran \(seen[i]) times")
                }
            }
        }
    }

    func testParallelForCoversTheRangeWithDisjointPieces() {
        Threads.set(2)
        let n = 100_003
        let hits = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0, count: n)
        Threads.pool.parallelFor(n, grain: 1000) { r in for i in r { hits[i] += 1 } }
        XCTAssertTrue((0..<n).allSatisfy { hits[$0] == 1 })
    }

    /// Products large enough to be split (by rows when m ≥ n, else by columns), with every
    /// transpose, alpha and beta: at two threads as at one up to float rounding (a block's
    /// sgemm may take another kernel path for its smaller shape), and a float64 reference.
    func testSplitGemmMatchesOneThreadAndAReference() {
        var rng = RNG(seed: 11)
        for (m, n, k) in [(301, 70, 100), (40, 333, 90)] {
            XCTAssertGreaterThanOrEqual(m * n * k, 1 << 20, "too small to be split")
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = Tensor.randn([m * k], rng: &rng), b = Tensor.randn([k * n], rng: &rng)
                let c0 = Tensor.randn([m * n], rng: &rng)
                let (lda, ldb) = (ta ? m : k, tb ? k : n)
                func product(threads: Int) -> [Float] {
                    Threads.set(threads)
                    let c = c0.copy()
                    BLAS.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.data, lda: lda,
                              b: b.data, ldb: ldb, beta: 2, c: c.data, ldc: n)
                    return c.scalars
                }
                let one = product(threads: 1), two = product(threads: 2)
                let apart = zip(one, two).map { Swift.abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(apart, 1e-4, "\(m)×\(n)×\(k) ta \(ta) tb \(tb): 1 vs 2 threads")
                var worst = 0.0
                for i in stride(from: 0, to: m, by: 7) {
                    for j in stride(from: 0, to: n, by: 5) {
                        var s = 0.0
                        for p in 0..<k {
                            let x = Double(ta ? a.data[p * lda + i] : a.data[i * lda + p])
                            let y = Double(tb ? b.data[j * ldb + p] : b.data[p * ldb + j])
                            s += x * y
                        }
                        worst = max(worst, Swift.abs(0.5 * s + 2 * Double(c0.data[i * n + j]) - Double(two[i * n + j])))
                    }
                }
                XCTAssertLessThan(worst, 1e-3, "\(m)×\(n)×\(k) ta \(ta) tb \(tb)")
            }
        }
    }
}
