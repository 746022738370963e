/// Batch normalisation over axis 1 (Ioffe & Szegedy, arXiv:1502.03167): batch statistics in
/// training, running statistics in evaluation. `BatchNorm1d` takes [N, C] or [N, C, L],
/// `BatchNorm2d` [N, C, H, W]; both are this class. State-dict names as PyTorch's:
/// weight, bias, running_mean, running_var, num_batches_tracked.
public class BatchNorm: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor
    @Buffer public var running_mean: Tensor
    @Buffer public var running_var: Tensor
    @Buffer public var num_batches_tracked: Tensor
    public let momentum: Float, eps: Float

    public init(_ channels: Int, momentum: Float = 0.1, eps: Float = 1e-5) {
        weight = Tensor.ones([channels]); bias = Tensor.zeros([channels])
        running_mean = Tensor.zeros([channels]); running_var = Tensor.ones([channels])
        num_batches_tracked = Tensor.zeros([])
        self.momentum = momentum; self.eps = eps
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        if isTraining { num_batches_tracked.data[0] += 1 }
        return batchNorm(x, weight: weight, bias: bias, runningMean: running_mean, runningVar: running_var,
                         training: isTraining, momentum: momentum, eps: eps)
    }

    /// relu(self(x)) as one fused op when `relu` (the BN → ReLU of conv nets); self(x) otherwise.
    public func callAsFunction(_ x: Tensor, relu: Bool) -> Tensor {
        guard relu else { return self(x) }
        if isTraining { num_batches_tracked.data[0] += 1 }
        return batchNormRelu(x, weight: weight, bias: bias, runningMean: running_mean, runningVar: running_var,
                             training: isTraining, momentum: momentum, eps: eps)
    }

    /// relu(self(x) + residual) as one fused op: the end of a residual block.
    public func callAsFunction(_ x: Tensor, addingThenRelu residual: Tensor) -> Tensor {
        if isTraining { num_batches_tracked.data[0] += 1 }
        return batchNormAddRelu(x, residual: residual, weight: weight, bias: bias, runningMean: running_mean,
                                runningVar: running_var, training: isTraining, momentum: momentum, eps: eps)
    }
}
/// PyTorch's names for the same layer: `BatchNorm` normalises over every axis but channels
/// (axis 1), for [N, C] and [N, C, H, W] alike.
public typealias BatchNorm1d = BatchNorm
/// See `BatchNorm1d`.
public typealias BatchNorm2d = BatchNorm

/// Layer normalisation over the trailing `normalizedShape` axes (Ba et al., arXiv:1607.06450).
public final class LayerNorm: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor
    public let normalizedShape: [Int], eps: Float

    public init(_ normalizedShape: [Int], eps: Float = 1e-5) {
        weight = Tensor.ones(normalizedShape); bias = Tensor.zeros(normalizedShape)
        self.normalizedShape = normalizedShape; self.eps = eps
        super.init()
    }

    public convenience init(_ features: Int, eps: Float = 1e-5) { self.init([features], eps: eps) }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

/// Group normalisation (Wu & He, arXiv:1803.08494): statistics per sample over groups of
/// channels; per-channel affine.
public final class GroupNorm: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor
    public let groups: Int, eps: Float

    public init(groups: Int, channels: Int, eps: Float = 1e-5) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels not divisible into \(groups) groups")
        weight = Tensor.ones([channels]); bias = Tensor.zeros([channels])
        self.groups = groups; self.eps = eps
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps)
    }
}

/// Local response normalisation across channels (Krizhevsky et al. 2012, §3.3):
/// b = a / (k + α/n · Σ a²)^β over n neighbouring channels.
public final class LocalResponseNorm: Module {
    public let size: Int, alpha: Float, beta: Float, k: Float

    public init(size: Int, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 1) {
        self.size = size; self.alpha = alpha; self.beta = beta; self.k = k
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        localResponseNorm(x, size: size, alpha: alpha, beta: beta, k: k)
    }
}
