import Foundation

/// Adam (Kingma & Ba, arXiv:1412.6980) as torch.optim.Adam, with L2 weight decay added to
/// the gradient; `decoupled: true` gives AdamW (Loshchilov & Hutter), θ ← θ(1 − ηλ) first.
///   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
///   θ ← θ − η/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, decoupled: Bool
    public private(set) var groups: [ParameterGroup]
    public private(set) var stepCount = 0
    private var store = SlotStore()

    public init(_ groups: [ParameterGroup], learningRate: Float = 1e-3, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-8, decoupled: Bool = false) {
        self.groups = groups; self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.decoupled = decoupled
    }

    public convenience init(_ named: [(String, Tensor)], learningRate: Float = 1e-3, beta1: Float = 0.9,
                            beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
                            decoupled: Bool = false) {
        self.init([ParameterGroup(named, weightDecay: weightDecay)], learningRate: learningRate,
                  beta1: beta1, beta2: beta2, epsilon: epsilon, decoupled: decoupled)
    }

    public func step() {
        stepCount += 1
        // Bias corrections in Double, as PyTorch computes them.
        let bc1 = 1 - pow(Double(beta1), Double(stepCount))
        let bc2 = 1 - pow(Double(beta2), Double(stepCount))
        for group in groups {
            let lr = learningRate * group.learningRateScale
            for (name, p) in group.parameters {
                guard let g = p.grad else { continue }
                let (m, _) = store.slot("exp_avg", name, like: p)
                let (v, _) = store.slot("exp_avg_sq", name, like: p)
                adamKernel(p.data, g.data, m.data, v.data, p.count, lr: lr, wd: group.weightDecay,
                           b1: beta1, b2: beta2, eps: epsilon,
                           stepSize: Float(Double(lr) / bc1), bc2Sqrt: Float(bc2.squareRoot()),
                           decoupled: decoupled)
            }
        }
    }

    public func stateDict() -> OptimizerState {
        OptimizerState(tensors: store.slots.mapValues { $0.copy() }, scalars: ["step": Double(stepCount)])
    }

    public func loadStateDict(_ state: OptimizerState) throws {
        guard let s = state.scalars["step"] else { throw OptimizerError.missingState("step") }
        guard let steps = Int(exactly: s), steps >= 0 else {
            throw InvalidOptimizerState(name: "step", value: s, needs: "a whole number ≥ 0")
        }
        store.slots = try store.check(state, groups: groups, kinds: ["exp_avg", "exp_avg_sq"])
        stepCount = steps
    }
}

@inline(never)
func adamKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ n: Int,
                lr: Float, wd: Float, b1: Float, b2: Float, eps: Float,
                stepSize: Float, bc2Sqrt: Float, decoupled: Bool) {
    let decay = decoupled ? 1 - lr * wd : 1
    let l2 = decoupled ? 0 : wd
    Threads.pool.parallelFor(n, grain: Kernels.grain) { r in
        for i in r {
            let theta = p[i] * decay
            let d = g[i] + l2 * theta
            let mi = b1 * m[i] + (1 - b1) * d
            let vi = b2 * v[i] + (1 - b2) * d * d
            m[i] = mi; v[i] = vi
            p[i] = theta - stepSize * mi / (vi.squareRoot() / bc2Sqrt + eps)
        }
    }
}
