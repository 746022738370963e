/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay,
/// as torch.optim.SGD:  g ← ∇ + λθ;  b ← μb + (1−τ)g (b = g at the first step);
/// g ← g + μb (Nesterov) or b;  θ ← θ − ηg.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, dampening: Float, nesterov: Bool
    public private(set) var groups: [ParameterGroup]
    private var store = SlotStore()

    public init(_ groups: [ParameterGroup], learningRate: Float, momentum: Float = 0,
                dampening: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov needs momentum and no dampening")
        self.groups = groups; self.learningRate = learningRate
        self.momentum = momentum; self.dampening = dampening; self.nesterov = nesterov
    }

    public convenience init(_ named: [(String, Tensor)], learningRate: Float, momentum: Float = 0,
                            weightDecay: Float = 0, nesterov: Bool = false) {
        self.init([ParameterGroup(named, weightDecay: weightDecay)], learningRate: learningRate,
                  momentum: momentum, nesterov: nesterov)
    }

    public func step() {
        for group in groups {
            let lr = learningRate * group.learningRateScale
            for (name, p) in group.parameters {
                guard let g = p.grad else { continue }
                if momentum == 0 {
                    sgdPlainKernel(p.data, g.data, p.count, lr, group.weightDecay)
                } else {
                    let (buf, fresh) = store.slot("momentum", name, like: p)
                    sgdMomentumKernel(p.data, g.data, buf.data, p.count, lr, group.weightDecay,
                                      momentum, fresh ? 0 : dampening, fresh, nesterov)
                }
            }
        }
    }

    public func stateDict() -> OptimizerState { OptimizerState(tensors: store.slots.mapValues { $0.copy() }) }

    public func loadStateDict(_ state: OptimizerState) throws {
        store.slots = try store.check(state, groups: groups, kinds: ["momentum"])
    }
}

@inline(never)
func sgdPlainKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ n: Int,
                    _ lr: Float, _ wd: Float) {
    Threads.pool.parallelFor(n, grain: Kernels.grain) { r in
        for i in r { p[i] -= lr * (g[i] + wd * p[i]) }
    }
}

@inline(never)
func sgdMomentumKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                       _ buf: UnsafeMutablePointer<Float>, _ n: Int, _ lr: Float, _ wd: Float,
                       _ mu: Float, _ dampening: Float, _ first: Bool, _ nesterov: Bool) {
    let keep = first ? Float(0) : mu, take = first ? Float(1) : 1 - dampening
    Threads.pool.parallelFor(n, grain: Kernels.grain) { r in
        for i in r {
            let d = g[i] + wd * p[i]
            let b = keep * buf[i] + take * d
            buf[i] = b
            p[i] -= lr * (nesterov ? d + mu * b : b)
        }
    }
}
