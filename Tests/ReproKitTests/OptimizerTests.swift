import XCTest
import ReproKit

final class OptimizerTests: XCTestCase {
    /// Runs the fixture's three steps with its gradients and compares every step with torch.
    private func checkGolden(_ op: String, _ make: (GoldenCase, Tensor) -> Optimizer) {
        let cases = Golden.cases(op)
        XCTAssertFalse(cases.isEmpty, "no golden cases for \(op)")
        for c in cases {
            let p = c.inputs["param"]!.tensor
            p.requiresGrad = true
            let opt = make(c, p)
            let expected = [c.extra["param_after_1"]!, c.extra["param_after_2"]!, c.output]
            for step in 1...3 {
                p.grad = c.inputs["grad_\(step)"]!.tensor
                opt.step()
                assertClose(p.scalars, expected[step - 1].data, rtol: 1e-5, atol: 1e-6, "\(c.name) step \(step)")
            }
        }
    }

    func testAdamMatchesTorch() {
        checkGolden("adam") { c, p in
            let b = c.attrs["betas"]!.floats
            return Adam([("p", p)], learningRate: c.float("lr"), beta1: b[0], beta2: b[1],
                        epsilon: c.float("eps"), weightDecay: c.float("weight_decay"))
        }
    }

    func testAdamWMatchesTorch() {
        checkGolden("adamw") { c, p in
            let b = c.attrs["betas"]!.floats
            return Adam([("p", p)], learningRate: c.float("lr"), beta1: b[0], beta2: b[1],
                        epsilon: c.float("eps"), weightDecay: c.float("weight_decay"), decoupled: true)
        }
    }

    func testSGDNesterovMatchesTorch() {
        checkGolden("sgd_nesterov") { c, p in
            SGD([("p", p)], learningRate: c.float("lr"), momentum: c.float("momentum"),
                weightDecay: c.float("weight_decay"), nesterov: true)
        }
    }

    /// On f(θ) = ½·a·θ², one step of each rule from θ₀ has a closed form.
    func testOneStepOnQuadraticHasClosedForm() {
        let a: Float = 3, theta0: Float = 2, lr: Float = 0.1
        func run(_ make: ([(String, Tensor)]) -> Optimizer) -> Float {
            let p = Tensor([theta0]); p.requiresGrad = true
            let opt = make([("p", p)])
            p.grad = Tensor([a * theta0])   // ∇f = aθ
            opt.step()
            return p.item()
        }
        XCTAssertEqual(run { SGD($0, learningRate: lr) }, theta0 - lr * a * theta0, accuracy: 1e-6)
        XCTAssertEqual(run { SGD($0, learningRate: lr, momentum: 0.9, weightDecay: 0.5) },
                       theta0 - lr * (a * theta0 + 0.5 * theta0), accuracy: 1e-6)
        // Adam's first step moves by lr·sign(g) (m̂ = g, v̂ = g², up to ε).
        XCTAssertEqual(run { Adam($0, learningRate: lr) }, theta0 - lr, accuracy: 1e-6)
        // AdamW also shrinks θ by (1 − lr·λ) first.
        XCTAssertEqual(run { Adam($0, learningRate: lr, weightDecay: 0.5, decoupled: true) },
                       theta0 * (1 - lr * 0.5) - lr, accuracy: 1e-6)
        // Adadelta's first step: v = (1−ρ)g², Δ = √ε/√(v+ε)·g.
        let g = a * theta0, rho: Float = 0.95, eps: Float = 1e-6
        let delta = eps.squareRoot() / ((1 - rho) * g * g + eps).squareRoot() * g
        XCTAssertEqual(run { Adadelta($0, learningRate: 1, rho: rho, epsilon: eps) }, theta0 - delta, accuracy: 1e-6)
    }

    func testStateRoundTripContinuesIdentically() throws {
        func makeRun() -> (Tensor, Adam) {
            let p = Tensor([1, -2, 3]); p.requiresGrad = true
            return (p, Adam([("w", p)], learningRate: 0.05, weightDecay: 0.01))
        }
        let grads: [[Float]] = [[0.1, 0.2, -0.3], [0.5, -0.1, 0.2], [-0.2, 0.3, 0.1], [0.4, 0.4, -0.4]]
        let (p1, o1) = makeRun()
        for g in grads { p1.grad = Tensor(g); o1.step() }
        let (p2, o2) = makeRun()
        for g in grads.prefix(2) { p2.grad = Tensor(g); o2.step() }
        let saved = o2.stateDict(), savedParams = p2.copy()
        let (p3, o3) = makeRun()
        p3.assign(savedParams)
        try o3.loadStateDict(saved)
        for g in grads.suffix(2) { p3.grad = Tensor(g); o3.step() }
        XCTAssertEqual(p3.scalars, p1.scalars)
        XCTAssertEqual(Set(saved.tensors.keys), ["exp_avg.w", "exp_avg_sq.w"])
        XCTAssertThrowsError(try o3.loadStateDict(OptimizerState(tensors: [:], scalars: [:])))
    }

    func testParameterGroupsSkipDecayOnBiasesAndNorms() {
        var rng = RNG(seed: 0)
        let fc = Linear(3, 2, rng: &rng)
        let groups = ParameterGroup.decayingWeightsOnly(fc.namedParameters(), weightDecay: 0.1)
        XCTAssertEqual(groups[0].parameters.map(\.name), ["weight"])
        XCTAssertEqual(groups[1].parameters.map(\.name), ["bias"])
        XCTAssertEqual(groups[1].weightDecay, 0)
    }

    func testSchedules() {
        let multi = LRSchedule.multiStep(0.1, milestones: [32000, 48000], gamma: 0.1)
        XCTAssertEqual(multi.lr(at: 31999), 0.1, accuracy: 1e-12)
        XCTAssertEqual(multi.lr(at: 32000), 0.01, accuracy: 1e-12)
        XCTAssertEqual(multi.lr(at: 48000), 0.001, accuracy: 1e-12)
        let cos = LRSchedule.cosine(1, total: 100, minimum: 0)
        XCTAssertEqual(cos.lr(at: 0), 1, accuracy: 1e-12)
        XCTAssertEqual(cos.lr(at: 50), 0.5, accuracy: 1e-12)
        XCTAssertEqual(cos.lr(at: 100), 0, accuracy: 1e-12)
        let warm = LRSchedule.linearWarmup(steps: 10, then: .constant(1))
        XCTAssertEqual(warm.lr(at: 0), 0.1, accuracy: 1e-12)
        XCTAssertEqual(warm.lr(at: 9), 1, accuracy: 1e-12)
        // The Transformer's schedule peaks at step = warmup with d^-0.5·warmup^-0.5.
        let noam = LRSchedule.inverseSquareRoot(dModel: 512, warmup: 4000, scale: 1)
        XCTAssertEqual(noam.lr(at: 3999), pow(512, -0.5) * pow(4000, -0.5), accuracy: 1e-12)
        XCTAssertLessThan(noam.lr(at: 1000), noam.lr(at: 3999))
        XCTAssertLessThan(noam.lr(at: 8000), noam.lr(at: 3999))
        XCTAssertEqual(LRSchedule.step(1, every: 10, gamma: 0.5).lr(at: 25), 0.25, accuracy: 1e-12)
    }

    func testClippingScalesToMaxNormAndReportsNorm() {
        let a = Tensor([3, 0]), b = Tensor([4])
        a.grad = Tensor([3, 0]); b.grad = Tensor([4])
        let norm = clipGradientNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.data[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(b.grad!.data[0], 0.8, accuracy: 1e-5)
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 10), 1, accuracy: 1e-4)
        XCTAssertEqual(b.grad!.data[0], 0.8, accuracy: 1e-5, "below the limit nothing changes")
    }

    func testEMAFollowsDefinition() {
        var rng = RNG(seed: 0)
        let fc = Linear(2, 1, rng: &rng)
        let ema = ExponentialMovingAverage(fc, decay: 0.9)
        let w0 = fc.weight.scalars
        fc.weight.assign(Tensor([1, 1], shape: [1, 2]))
        ema.update()
        let avg = ema.shadow.first { $0.0 == "weight" }!.1.scalars
        for i in 0..<2 { XCTAssertEqual(avg[i], 0.9 * w0[i] + 0.1, accuracy: 1e-6) }
        let other = Linear(2, 1, rng: &rng)
        ema.copy(into: other)
        XCTAssertEqual(other.weight.scalars, avg)
    }
}
