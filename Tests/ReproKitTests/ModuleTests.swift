import XCTest
import ReproKit

final class ModuleTests: XCTestCase {
    final class Block: Module {
        let fc1: Linear
        let extra: Linear?
        let head: [Module]
        @Buffer var steps = Tensor.zeros([1])
        init(rng: inout RNG) {
            fc1 = Linear(4, 3, rng: &rng)
            extra = nil
            head = [Linear(3, 2, bias: false, rng: &rng), Sequential([Linear(2, 2, rng: &rng)])]
            super.init()
        }
    }

    func testParameterNamesFollowStateDictConvention() {
        var rng = RNG(seed: 0)
        let m = Block(rng: &rng)
        XCTAssertEqual(m.namedParameters().map(\.0),
                       ["fc1.weight", "fc1.bias", "head.0.weight", "head.1.0.weight", "head.1.0.bias"])
        XCTAssertEqual(m.namedBuffers().map(\.0), ["steps"])
        XCTAssertEqual(m.stateDict().map(\.0).count, 6)
        XCTAssertEqual(m.namedParameters()[0].1.shape, [3, 4])
        XCTAssertEqual(m.parameterCount, 12 + 3 + 6 + 4 + 2)
        XCTAssertTrue(m.parameters.allSatisfy { $0.requiresGrad })
    }

    func testTrainEvalPropagatesToChildren() {
        var rng = RNG(seed: 0)
        let m = Block(rng: &rng)
        m.eval()
        XCTAssertFalse(m.fc1.isTraining)
        XCTAssertFalse((m.head[1] as! Sequential).layers[0].isTraining)
        m.train()
        XCTAssertTrue((m.head[1] as! Sequential).layers[0].isTraining)
    }

    func testLinearMatchesDefinitionAndInitBounds() {
        var rng = RNG(seed: 0)
        let fc = Linear(100, 50, rng: &rng)
        let bound = 1 / Float(100).squareRoot()
        XCTAssertTrue(fc.weight.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(fc.weight.scalars.map(abs).max()!, bound * 0.95)
        let x = randomTensor([2, 100])
        let y = fc(x)
        // y[i, j] = Σ_k x[i, k] W[j, k] + b[j]
        var expected: Float = fc.bias![1]
        for k in 0..<100 { expected += x[1, k] * fc.weight[1, k] }
        XCTAssertEqual(y[1, 1], expected, accuracy: 1e-4)
    }
}
