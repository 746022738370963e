// Parameter-free layers as modules, so they sit in a `Sequential`.

/// Inverted dropout with its own RNG stream (split from the run's seed), active in training.
public final class Dropout: Module {
    public let p: Float
    @RandomState private var rng: RNG

    public init(_ p: Float, rng: inout RNG) {
        precondition(p >= 0 && p < 1, "dropout probability \(p) not in [0, 1)")
        self.p = p
        // A stream of its own: two Dropouts made from one RNG must not share masks.
        self.rng = rng.split(rng.next())
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        dropout(x, p: p, training: isTraining, rng: &rng)
    }
}

/// An element-wise activation or other shape function as a layer.
public final class Lambda: Module {
    public let name: String
    private let body: (Tensor) -> Tensor
    public init(_ name: String, _ body: @escaping (Tensor) -> Tensor) {
        self.name = name; self.body = body
        super.init()
    }
    public override func callAsFunction(_ x: Tensor) -> Tensor { body(x) }
}

// Capitalised like PyTorch's nn.ReLU() etc. so a model reads the same in both, though each
// is a function returning a `Lambda` rather than a type of its own.
/// max(x, 0) as a layer, PyTorch's `nn.ReLU()`.
public func ReLU() -> Lambda { Lambda("ReLU") { $0.relu() } }
/// tanh as a layer, PyTorch's `nn.Tanh()`.
public func Tanh() -> Lambda { Lambda("Tanh") { $0.tanh() } }
/// GELU (the erf form) as a layer, PyTorch's `nn.GELU()`.
public func GELU() -> Lambda { Lambda("GELU") { $0.gelu() } }
/// SiLU, x·σ(x), as a layer, PyTorch's `nn.SiLU()`.
public func SiLU() -> Lambda { Lambda("SiLU") { $0.silu() } }
/// [N, …] → [N, rest] as a layer, PyTorch's `nn.Flatten()`.
public func Flatten() -> Lambda { Lambda("Flatten") { $0.flattened(from: 1) } }

/// A pooling window: square kernel, stride (default: the kernel) and padding.
public class Pool2d: Module {
    public let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        kernel = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize); self.padding = (padding, padding)
        super.init()
    }
}

/// The maximum of each window, PyTorch's `nn.MaxPool2d` (AlexNet's overlapping pooling is
/// `MaxPool2d(kernelSize: 3, stride: 2)`).
public final class MaxPool2d: Pool2d {
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        maxPool2d(x, kernel: kernel, stride: stride, padding: padding)
    }
}

/// The mean of each window (padding counts as zeros), PyTorch's `nn.AvgPool2d`.
public final class AvgPool2d: Pool2d {
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        avgPool2d(x, kernel: kernel, stride: stride, padding: padding)
    }
}

/// Average pooling to a fixed output size whatever the input's, PyTorch's
/// `nn.AdaptiveAvgPool2d`; `(1, 1)` is global average pooling.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)
    public init(_ outputSize: (Int, Int)) { self.outputSize = outputSize; super.init() }
    public override func callAsFunction(_ x: Tensor) -> Tensor { adaptiveAvgPool2d(x, outputSize: outputSize) }
}

/// A lookup table of `count` vectors of size `dim`: ids → rows. Init N(0, 1) as PyTorch's.
public final class Embedding: Module {
    @Parameter public var weight: Tensor

    public init(_ count: Int, _ dim: Int, rng: inout RNG) {
        weight = Tensor.randn([count, dim], rng: &rng)
        super.init()
    }

    /// Rows for `ids`, shaped `shape + [dim]` (shape defaults to [ids.count]).
    public func callAsFunction(_ ids: [Int], shape: [Int]? = nil) -> Tensor {
        let rows = weight.indexSelect(axis: 0, ids)
        return rows.reshaped((shape ?? [ids.count]) + [weight.shape[1]])
    }
}
