import XCTest
import ReproKit

final class IndexingTests: XCTestCase {
    func testIndexSelectIsAnEmbeddingLookup() throws {
        let table = Tensor((0..<12).map(Float.init), shape: [4, 3])
        let e = table.indexSelect([2, 0, 2])
        XCTAssertEqual(e.shape, [3, 3])
        XCTAssertEqual(e.scalars, [6, 7, 8, 0, 1, 2, 6, 7, 8])
        // Repeated ids accumulate their rows' gradients.
        table.requiresGrad = true
        try table.indexSelect([2, 0, 2]).backward(seed: Tensor((1...9).map(Float.init), shape: [3, 3]))
        XCTAssertEqual(table.grad?.scalars, [4, 5, 6, 0, 0, 0, 1 + 7, 2 + 8, 3 + 9, 0, 0, 0])
        XCTAssertEqual(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).indexSelect(axis: 1, [2, 2, 0]).scalars,
                       [3, 3, 1, 6, 6, 4])
        let r = randomTensor([5, 4], seed: 51)
        assertGradients([r]) { $0[0].indexSelect([4, 1, 1, 3, 4]) }
        assertGradients([randomTensor([2, 5, 3], seed: 52)]) { $0[0].indexSelect(axis: 1, [0, 3, 0]) }
        // A lookup wide enough to split the columns across threads.
        let wide = randomTensor([3, 40_000], seed: 53); wide.requiresGrad = true
        try wide.indexSelect([1, 1]).sum().backward()
        XCTAssertEqual(wide.grad![1, 39_999], 2); XCTAssertEqual(wide.grad![0, 0], 0)
    }

    func testGatherHasTorchSemantics() throws {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        // torch.gather(x, 1, [[2, 0], [1, 1]]) = [[3, 1], [5, 5]]
        let g1 = x.gather(axis: 1, [2, 0, 1, 1])
        XCTAssertEqual(g1.shape, [2, 2]); XCTAssertEqual(g1.scalars, [3, 1, 5, 5])
        // torch.gather(x, 0, [[1, 0, 1]]) = [[4, 2, 6]]
        let g0 = x.gather(axis: 0, [1, 0, 1])
        XCTAssertEqual(g0.shape, [1, 3]); XCTAssertEqual(g0.scalars, [4, 2, 6])
        // Picking each row's target, as cross-entropy does.
        XCTAssertEqual(x.gather(axis: -1, [2, 0]).scalars, [3, 4])
        x.requiresGrad = true
        try x.gather(axis: 1, [2, 2, 1, 0]).backward(seed: Tensor([1, 10, 100, 1000], shape: [2, 2]))
        XCTAssertEqual(x.grad?.scalars, [0, 0, 11, 1000, 100, 0])
        let r = randomTensor([2, 3, 4], seed: 54)
        assertGradients([r]) { $0[0].gather(axis: 1, [0, 2, 2, 1, 1, 1, 0, 0, 2, 1, 0, 2, 2, 2, 2, 0]) }
        assertGradients([r]) { $0[0].gather(axis: 0, [1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1]) }
        assertGradients([r]) { $0[0].gather(axis: 2, [3, 3, 0, 1, 2, 2]) }
    }

    func testSelectWhereBroadcasts() {
        let mask = Tensor([1, 0, 1], shape: [3, 1])
        let a = randomTensor([2, 3, 4], seed: 55), b = randomTensor([4], seed: 56)
        let y = Tensor.select(where: mask, a, b)
        XCTAssertEqual(y.shape, [2, 3, 4])
        for n in 0..<2 { for i in 0..<3 { for j in 0..<4 {
            XCTAssertEqual(y[n, i, j], i == 1 ? b[j] : a[n, i, j])
        } } }
        assertGradients([a, b]) { Tensor.select(where: mask, $0[0], $0[1]) }
        assertGradients([randomTensor([3, 1], seed: 57), randomTensor([2, 1, 4], seed: 58)]) {
            Tensor.select(where: Tensor([0, 1, 1, 0], shape: [4]), $0[0], $0[1])
        }
        XCTAssertEqual(Tensor.select(where: Tensor([0, 2, -1]), Tensor([1, 2, 3]), Tensor(scalar: 9)).scalars, [9, 2, 3])
    }

    func testMaskedFillBroadcastsAndZeroesFilledGradients() throws {
        XCTAssertEqual(Tensor.causalMask(3).scalars, [0, 1, 1, 0, 0, 1, 0, 0, 0])
        let x = randomTensor([2, 2, 3, 3], seed: 59)
        let y = x.maskedFill(Tensor.causalMask(3), -.infinity)
        for b in 0..<2 { for h in 0..<2 { for i in 0..<3 { for j in 0..<3 {
            XCTAssertEqual(y[b, h, i, j], j > i ? -.infinity : x[b, h, i, j])
        } } } }
        assertGradients([x]) { $0[0].maskedFill(Tensor.causalMask(3), 7) }
        let rows = Tensor([1, 0], shape: [2, 1, 1, 1])   // a mask on a leading axis
        assertGradients([x]) { $0[0].maskedFill(rows, 0) }
        x.requiresGrad = true; x.grad = nil
        try x.maskedFill(rows, 0).sum().backward()
        XCTAssertEqual(x.grad!.scalars, (0..<36).map { $0 < 18 ? 0 : 1 })
    }
}
