/// An exponential moving average of a model's parameters: θ̄ ← d·θ̄ + (1−d)·θ after each
/// step (DDPM samples from such an average with d = 0.9999). Its tensors are named like the
/// model's, so they checkpoint as a second state dict.
public final class ExponentialMovingAverage {
    public let decay: Float
    public private(set) var shadow: [(String, Tensor)]
    private let source: [(String, Tensor)]

    public init(_ module: Module, decay: Float) {
        self.decay = decay
        source = module.namedParameters()
        shadow = source.map { ($0.0, $0.1.copy()) }
    }

    /// Folds the current parameters into the average with weight 1 − `decay`.
    public func update() { update(decay: decay) }

    /// The `step`-th update (from 1) with TensorFlow's warm-up (`num_updates`): the decay is
    /// min(`decay`, (1 + step)/(10 + step)), so that early on the average follows the weights
    /// instead of keeping the initialisation for ~1/(1 − decay) steps, most of a short run.
    public func update(step: Int) { update(decay: Self.warmedUpDecay(decay, step: step)) }

    /// The decay the `step`-th warmed-up update uses.
    public static func warmedUpDecay(_ decay: Float, step: Int) -> Float {
        min(decay, Float(1 + step) / Float(10 + step))
    }

    private func update(decay d: Float) {
        for ((_, avg), (_, p)) in zip(shadow, source) {
            emaKernel(avg.data, p.data, avg.count, d)
        }
    }

    /// Copies the averaged weights into `module` (whose parameters must have the same names).
    public func copy(into module: Module) {
        let named = Dictionary(uniqueKeysWithValues: module.namedParameters())
        for (name, avg) in shadow { named[name]?.assign(avg) }
    }
}

@inline(never)
func emaKernel(_ avg: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ n: Int, _ d: Float) {
    Threads.pool.parallelFor(n, grain: Kernels.grain) { r in
        for i in r { avg[i] = d * avg[i] + (1 - d) * p[i] }
    }
}
