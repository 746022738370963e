import XCTest
import ReproKit

final class ShapeTests: XCTestCase {
    /// permuted computed element by element.
    private func referencePermute(_ x: Tensor, _ perm: [Int]) -> [Float] {
        let outShape = perm.map { x.shape[$0] }
        let inStrides = Tensor.strides(x.shape), outStrides = Tensor.strides(outShape)
        return (0..<x.count).map { flat -> Float in
            var src = 0
            for (i, p) in perm.enumerated() { src += (flat / outStrides[i]) % outShape[i] * inStrides[p] }
            return x.data[src]
        }
    }

    func testReshapeIsAViewAndInfersOneAxis() {
        let x = Tensor((0..<12).map(Float.init), shape: [3, 4])
        let y = x.reshaped([2, -1, 3])
        XCTAssertEqual(y.shape, [2, 2, 3])
        XCTAssertEqual(y.scalars, x.scalars)
        y[1, 0, 2] = 100
        XCTAssertEqual(x[2, 0], 100)
        let f = Tensor.zeros([2, 3, 4, 5]).flattened()
        XCTAssertEqual(f.shape, [2, 60])
        XCTAssertEqual(Tensor.zeros([2, 3, 4]).flattened(from: 0).shape, [24])
        let u = x.unsqueeze(axis: 1)
        XCTAssertEqual(u.shape, [3, 1, 4])
        XCTAssertEqual(x.unsqueeze(axis: -1).shape, [3, 4, 1])
        XCTAssertEqual(u.squeeze(axis: 1).shape, [3, 4])
        u[0, 0, 0] = -5
        XCTAssertEqual(x[0, 0], -5)
    }

    func testViewGradients() {
        let x = randomTensor([2, 6], seed: 31)
        assertGradients([x]) { $0[0].reshaped([3, -1]) * $0[0].reshaped([3, 4]) }
        assertGradients([x]) { $0[0].unsqueeze(axis: 0).squeeze(axis: 0).flattened(from: 0) }
    }

    func testPermuteValuesOnEveryKernelPath() {
        let cases: [([Int], [Int])] = [
            ([2, 3, 4, 5], [0, 2, 1, 3]),   // [B,T,H,D] → [B,H,T,D]: row copies
            ([2, 4, 3, 5], [0, 2, 1, 3]),
            ([3, 37, 45], [0, 2, 1]),       // last-two transpose, partial tiles
            ([70, 33], [1, 0]),
            ([2, 3, 4], [2, 0, 1]),         // general strided gather
            ([2, 3, 4, 5], [3, 2, 1, 0]),
            ([1, 3, 1, 4], [3, 1, 2, 0]),   // size-1 axes dropped
            ([2, 3, 4], [0, 1, 2]),         // identity
            ([64, 300, 8], [0, 2, 1]),      // big enough for both threads
        ]
        for (shape, perm) in cases {
            let x = randomTensor(shape, seed: 32)
            let y = x.permuted(perm)
            XCTAssertEqual(y.shape, perm.map { shape[$0] })
            XCTAssertEqual(y.scalars, referencePermute(x, perm), "\(shape) \(perm)")
        }
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(x.transposed(0, 1).scalars, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(x.transposed(-1, -2).shape, [3, 2])
    }

    func testPermuteGradients() {
        assertGradients([randomTensor([2, 3, 4, 2], seed: 33)]) { $0[0].permuted([0, 2, 1, 3]) }
        assertGradients([randomTensor([2, 3, 4], seed: 34)]) { $0[0].permuted([2, 0, 1]) }
        assertGradients([randomTensor([2, 3, 4], seed: 35)]) { $0[0].transposed(1, 2) }
    }

    func testSlice() {
        let x = Tensor((0..<24).map(Float.init), shape: [4, 3, 2])
        let a = x.slice(axis: 0, 1..<3)
        XCTAssertEqual(a.shape, [2, 3, 2])
        XCTAssertEqual(a.scalars, (6..<18).map(Float.init))
        a[0, 0, 0] = -1                       // a view along axis 0
        XCTAssertEqual(x[1, 0, 0], -1)
        let b = x.slice(axis: 1, 1..<3)
        XCTAssertEqual(b.shape, [4, 2, 2])
        XCTAssertEqual(b[2, 0, 1], x[2, 1, 1])
        XCTAssertEqual(x.slice(axis: -1, 1..<2).scalars, stride(from: 1, to: 24, by: 2).map { x.data[$0] })
        XCTAssertEqual(x.slice(axis: 1, 0..<0).count, 0)
        let r = randomTensor([4, 3, 2], seed: 36)
        assertGradients([r]) { $0[0].slice(axis: 0, 1..<3) }
        assertGradients([r]) { $0[0].slice(axis: 1, 1..<3) }
        assertGradients([r]) { $0[0].slice(axis: 2, 0..<1) }
    }

    func testConcatAndStack() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2]), b = Tensor([5, 6], shape: [2, 1])
        XCTAssertEqual(Tensor.concat([a, b], axis: 1).scalars, [1, 2, 5, 3, 4, 6])
        XCTAssertEqual(Tensor.concat([a, b.reshaped([1, 2])], axis: 0).scalars, [1, 2, 3, 4, 5, 6])
        let c = Tensor([7, 8, 9, 10], shape: [2, 2])
        let s0 = Tensor.stack([a, c], axis: 0)
        XCTAssertEqual(s0.shape, [2, 2, 2]); XCTAssertEqual(s0.scalars, [1, 2, 3, 4, 7, 8, 9, 10])
        let s2 = Tensor.stack([a, c], axis: -1)
        XCTAssertEqual(s2.shape, [2, 2, 2]); XCTAssertEqual(s2.scalars, [1, 7, 2, 8, 3, 9, 4, 10])
        XCTAssertEqual(Tensor.stack([a, c], axis: 1).scalars, [1, 2, 7, 8, 3, 4, 9, 10])
        let x = randomTensor([2, 3, 2], seed: 37), y = randomTensor([2, 1, 2], seed: 38), z = randomTensor([2, 2, 2], seed: 39)
        assertGradients([x, y, z]) { Tensor.concat($0, axis: 1) }
        assertGradients([x, randomTensor([2, 3, 2], seed: 40)]) { Tensor.stack($0, axis: 1) }
        assertGradients([x, randomTensor([1, 3, 2], seed: 41)]) { Tensor.concat($0, axis: 0) }
    }

    func testPadded() {
        let x = Tensor([1, 2, 3, 4], shape: [2, 2])
        let p = x.padded([(1, 0), (0, 2)], value: -1)
        XCTAssertEqual(p.shape, [3, 4])
        XCTAssertEqual(p.scalars, [-1, -1, -1, -1,
                                   1, 2, -1, -1,
                                   3, 4, -1, -1])
        let img = randomTensor([2, 3, 4, 4], seed: 42)
        let q = img.padded([(0, 0), (0, 0), (1, 1), (2, 1)])
        XCTAssertEqual(q.shape, [2, 3, 6, 7])
        XCTAssertEqual(q[1, 2, 1, 2], img[1, 2, 0, 0])
        XCTAssertEqual(q[1, 2, 0, 2], 0)
        assertGradients([randomTensor([2, 3, 3], seed: 43)]) { $0[0].padded([(1, 2), (0, 0), (2, 1)], value: 5) }
    }
}
