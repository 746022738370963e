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

    /// Folds the current parameters into the average.
    public func update() {
        for ((_, avg), (_, p)) in zip(shadow, source) {
            emaKernel(avg.data, p.data, avg.count, decay)
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
