import XCTest
import ReproKit

final class ReduceMaxTests: XCTestCase {
    func testMaxMinValuesAndArgmaxOnEveryAxis() {
        let x = randomTensor([3, 4, 5], seed: 21)
        for axis in 0..<3 {
            var outShape = x.shape
            outShape.remove(at: axis)
            var wantMax: [Float] = [], wantMin: [Float] = [], wantArg: [Int] = []
            let strides = Tensor.strides(x.shape)
            // Row-major over the remaining axes.
            let others = (0..<3).filter { $0 != axis }
            for a in 0..<x.shape[others[0]] {
                for b in 0..<x.shape[others[1]] {
                    let vals = (0..<x.shape[axis]).map { k -> Float in
                        x.data[a * strides[others[0]] + b * strides[others[1]] + k * strides[axis]]
                    }
                    wantMax.append(vals.max()!); wantMin.append(vals.min()!)
                    wantArg.append(vals.firstIndex(of: vals.max()!)!)
                }
            }
            let m = x.max(axis: axis)
            XCTAssertEqual(m.shape, outShape)
            XCTAssertEqual(m.scalars, wantMax)
            XCTAssertEqual(x.min(axis: axis).scalars, wantMin)
            XCTAssertEqual(x.argmax(axis: axis), wantArg)
            var kept = x.shape
            kept[axis] = 1
            XCTAssertEqual(x.max(axis: axis, keepDims: true).shape, kept)
        }
        XCTAssertEqual(x.argmax(), x.argmax(axis: 2))
    }

    func testGradientsAgainstFiniteDifferences() {
        // max is piecewise linear: with h = 1e-3 the differences are exact away from ties.
        let x = randomTensor([3, 4, 5], seed: 22)
        for axis in [0, 1, -1] {
            assertGradients([x], h: 1e-3) { $0[0].max(axis: axis) }
            assertGradients([x], h: 1e-3) { $0[0].min(axis: axis, keepDims: true) }
        }
    }

    func testTiesSendTheGradientToTheFirstIndex() throws {
        let x = Tensor([1, 3, 3, 2,
                        5, 5, 5, 0], shape: [2, 4])
        x.requiresGrad = true
        try x.max(axis: 1).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 1, 0, 0, 1, 0, 0, 0])
        XCTAssertEqual(x.argmax(axis: 1), [1, 0])
        // Along axis 0 (the column kernel): ties in column 0 and 1.
        let y = Tensor([4, 2, 7, 4, 2, 1], shape: [2, 3])
        y.requiresGrad = true
        try y.min(axis: 0).sum().backward()
        XCTAssertEqual(y.grad?.scalars, [1, 1, 0, 0, 0, 1])
        XCTAssertEqual(y.argmax(axis: 0), [0, 0, 0])
    }

    func testMaxPropagatesNaN() {
        let x = Tensor([1, .nan, 3, 2, 1, 0], shape: [2, 3])
        let m = x.max(axis: 1).scalars
        XCTAssertTrue(m[0].isNaN)
        XCTAssertEqual(m[1], 2)
    }

    func testVariance() {
        let x = Tensor([1, 2, 3, 4, 6, 8], shape: [2, 3])
        XCTAssertEqual(x.variance().item(), 34.0 / 6, accuracy: 1e-5)   // mean 4, Σd² = 9+4+1+0+4+16
        assertClose(x.variance(axes: [1]).scalars, [2.0 / 3, 8.0 / 3])
        assertClose(x.variance(axes: [1], unbiased: true).scalars, [1, 4])
        assertClose(x.variance(axes: [0], keepDims: true).scalars, [2.25, 4, 6.25])
        XCTAssertEqual(x.variance(axes: [0], keepDims: true).shape, [1, 3])
        let r = randomTensor([2, 3, 4], seed: 23)
        assertGradients([r]) { $0[0].variance() }
        assertGradients([r]) { $0[0].variance(axes: [0, 2], keepDims: true, unbiased: true) }
        assertGradients([r]) { $0[0].variance(axes: [-1]) }
    }
}
