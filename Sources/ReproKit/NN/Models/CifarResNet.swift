// The CIFAR ResNets of He et al. 2016 (arXiv:1512.03385, §4.2), shared: the ResNet plugin
// reproduces them, and other papers compare against one (ViT's small-data finding) or
// distil from one (DeiT's convnet teacher).
//
// 6n+2 layers; a 3×3 conv with 16 filters, then three stages of n basic blocks with
// {16, 32, 64} filters on maps of {32, 16, 8} (28/14/7 for Fashion-MNIST), downsampling by
// stride-2 convs, global average pooling and a linear classifier. The plain net is the same
// stack without the shortcuts.
import TensorCore

/// How a ResNet block adds its input back when the shape changes (§3.3).
public enum ResNetShortcut: String, Sendable {
    /// Option A: identity; on downsampling, take every other pixel and zero-pad the new
    /// channels. Parameter-free, so plain and residual nets have the same parameters.
    case a = "A"
    /// Option B: a 1×1 stride-2 projection (+ BN) where the shape changes, identity elsewhere.
    case b = "B"
}

/// Two 3×3 convs with BN; y = ReLU(F(x) + shortcut(x)), or ReLU(F(x)) for the plain net.
public final class BasicBlock: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    /// Option B's projection (conv + BN), named like torchvision's `downsample`.
    public let downsample: Sequential?
    public let residual: Bool, padChannels: Int, stride: Int

    public init(_ inPlanes: Int, _ planes: Int, stride: Int, residual: Bool, shortcut: ResNetShortcut,
                rng: inout RNG) {
        conv1 = Conv2d(inPlanes, planes, kernelSize: 3, stride: stride, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn2 = BatchNorm2d(planes)
        let reshapes = stride != 1 || inPlanes != planes
        downsample = residual && reshapes && shortcut == .b
            ? Sequential([Conv2d(inPlanes, planes, kernelSize: 1, stride: stride, bias: false, rng: &rng),
                          BatchNorm2d(planes)])
            : nil
        self.residual = residual
        self.padChannels = (planes - inPlanes) / 2
        self.stride = stride
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        // F(x) = BN(W₂ σ(BN(W₁ x))); each BN runs fused with what follows it.
        let h = bn1(conv1(x), relu: true)
        guard residual else { return bn2(conv2(h), relu: true) }
        let identity: Tensor
        if let downsample {
            identity = downsample(x)
        } else if stride != 1 || padChannels != 0 {
            // Option A: x[:, :, ::s, ::s] with zero channels on both sides, in one pass.
            identity = x.subsampledChannelPadded(stride: stride, channelPad: padChannels)
        } else {
            identity = x
        }
        return bn2(conv2(h), addingThenRelu: identity)      // y = σ(F(x) + x)
    }
}

/// ResNet-(6n+2) for small images, or its plain counterpart; `width` filters in the first
/// stage (the paper: 16), twice and four times that in the next two.
public final class CifarResNet: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let layer1: [Module], layer2: [Module], layer3: [Module]
    public let fc: Linear

    public init(depth: Int, plain: Bool = false, shortcut: ResNetShortcut = .a, width: Int = 16,
                inChannels: Int, classes: Int, rng: inout RNG) {
        precondition((depth - 2) % 6 == 0, "depth must be 6n+2 (8, 14, 20, 32, 44, 56, 110), got \(depth)")
        precondition(width >= 1 && width % 2 == 0, "width must be even and positive, got \(width)")
        let n = (depth - 2) / 6
        conv1 = Conv2d(inChannels, width, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm2d(width)
        func stage(_ inPlanes: Int, _ planes: Int, _ stride: Int, _ rng: inout RNG) -> [Module] {
            (0..<n).map { i in
                BasicBlock(i == 0 ? inPlanes : planes, planes, stride: i == 0 ? stride : 1,
                           residual: !plain, shortcut: shortcut, rng: &rng)
            }
        }
        layer1 = stage(width, width, 1, &rng)
        layer2 = stage(width, 2 * width, 2, &rng)
        layer3 = stage(2 * width, 4 * width, 2, &rng)
        fc = Linear(4 * width, classes, rng: &rng)
        super.init()
        // He init for every conv (the paper's [13]); BN starts at γ = 1, β = 0.
        for (name, p) in namedParameters() where name.hasSuffix("weight") && p.rank == 4 {
            p.assign(Init.kaimingNormal(p.shape, rng: &rng))
        }
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        var h = bn1(conv1(x), relu: true)
        for block in layer1 + layer2 + layer3 { h = block(h) }
        h = adaptiveAvgPool2d(h, outputSize: (1, 1)).flattened(from: 1)
        return fc(h)
    }
}
