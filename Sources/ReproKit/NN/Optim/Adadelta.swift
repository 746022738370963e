/// Adadelta (Zeiler, arXiv:1212.5701) as torch.optim.Adadelta — Bahdanau et al. trained with
/// it (ρ = 0.95, ε = 1e-6):  v ← ρv + (1−ρ)g²;  Δ ← √(u+ε)/√(v+ε) · g;  u ← ρu + (1−ρ)Δ²;
/// θ ← θ − ηΔ.
public final class Adadelta: Optimizer {
    public var learningRate: Float
    public let rho: Float, epsilon: Float
    public private(set) var groups: [ParameterGroup]
    private var store = SlotStore()

    public init(_ groups: [ParameterGroup], learningRate: Float = 1, rho: Float = 0.9, epsilon: Float = 1e-6) {
        self.groups = groups; self.learningRate = learningRate; self.rho = rho; self.epsilon = epsilon
    }

    public convenience init(_ named: [(String, Tensor)], learningRate: Float = 1, rho: Float = 0.9,
                            epsilon: Float = 1e-6, weightDecay: Float = 0) {
        self.init([ParameterGroup(named, weightDecay: weightDecay)], learningRate: learningRate,
                  rho: rho, epsilon: epsilon)
    }

    public func step() {
        for group in groups {
            let lr = learningRate * group.learningRateScale
            for (name, p) in group.parameters {
                guard let g = p.grad else { continue }
                let (v, _) = store.slot("square_avg", name, like: p)
                let (u, _) = store.slot("acc_delta", name, like: p)
                adadeltaKernel(p.data, g.data, v.data, u.data, p.count, lr, group.weightDecay, rho, epsilon)
            }
        }
    }

    public func stateDict() -> OptimizerState { OptimizerState(tensors: store.slots.mapValues { $0.copy() }) }

    public func loadStateDict(_ state: OptimizerState) throws {
        store.slots = try store.check(state, groups: groups, kinds: ["square_avg", "acc_delta"])
    }
}

@inline(never)
func adadeltaKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                    _ v: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>, _ n: Int,
                    _ lr: Float, _ wd: Float, _ rho: Float, _ eps: Float) {
    Threads.pool.parallelFor(n, grain: Kernels.grain) { r in
        for i in r {
            let d = g[i] + wd * p[i]
            let vi = rho * v[i] + (1 - rho) * d * d
            let delta = (u[i] + eps).squareRoot() / (vi + eps).squareRoot() * d
            u[i] = rho * u[i] + (1 - rho) * delta * delta
            v[i] = vi
            p[i] -= lr * delta
        }
    }
}
