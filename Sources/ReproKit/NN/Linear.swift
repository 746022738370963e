/// y = x·Wᵀ + b, with W of shape [out, in] as in PyTorch.
/// Default init as PyTorch's: W, b ~ U(−1/√in, 1/√in).
public final class Linear: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RNG) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, rng: &rng)
        self.bias = bias ? Tensor.uniform([outFeatures], low: -bound, high: bound, rng: &rng) : nil
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        let y = x.matmul(weight, transposeB: true)
        return bias.map { y + $0 } ?? y
    }
}

/// Modules applied one after another; children are named 0, 1, 2, … as in PyTorch.
public final class Sequential: Module {
    public let layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
        super.init()
    }

    public override func namedChildren() -> [(String, Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element) }
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}
