/// 2-D convolution over NCHW input; weight [out, in/groups, kh, kw] as in PyTorch,
/// PyTorch's default init (U(±1/√fan_in) for weight and bias).
public final class Conv2d: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor?
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true, rng: inout RNG) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        let shape = [outChannels, inChannels / groups, kernelSize, kernelSize]
        let fanIn = Init.fans(shape).fanIn
        weight = Init.pytorchDefault(shape, fanIn: fanIn, rng: &rng)
        self.bias = bias ? Init.pytorchDefault([outChannels], fanIn: fanIn, rng: &rng) : nil
        self.stride = (stride, stride); self.padding = (padding, padding)
        self.dilation = (dilation, dilation); self.groups = groups
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Transposed 2-D convolution (a learned upsampling); weight [in, out/groups, kh, kw] as in
/// PyTorch, whose default init takes fan_in from weight.size(1)·kh·kw.
public final class ConvTranspose2d: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor?
    public let stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int)
    public let dilation: (Int, Int), groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true, rng: inout RNG) {
        let shape = [inChannels, outChannels / groups, kernelSize, kernelSize]
        let fanIn = shape[1] * kernelSize * kernelSize
        weight = Init.pytorchDefault(shape, fanIn: fanIn, rng: &rng)
        self.bias = bias ? Init.pytorchDefault([outChannels], fanIn: fanIn, rng: &rng) : nil
        self.stride = (stride, stride); self.padding = (padding, padding)
        self.outputPadding = (outputPadding, outputPadding)
        self.dilation = (dilation, dilation); self.groups = groups
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        convTranspose2d(x, weight: weight, bias: bias, stride: stride, padding: padding,
                        outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
}
