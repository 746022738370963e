/// Transposed 2-D convolution: the adjoint of `conv2d` with respect to its input.
///
/// A transposed convolution with weight [C_in, C_out/g, kh, kw] is exactly the backward-data
/// pass of a convolution from C_out to C_in channels with that same weight, so it reuses the
/// conv GEMM driver: forward = conv backward-data (GEMM + col2im), backward-data = conv
/// forward (im2col + GEMM), weight gradient = conv weight gradient with the roles of input
/// and output gradient swapped.

/// Transposed convolution over NCHW input, as `torch.nn.functional.conv_transpose2d`.
///
/// x: [N, C_in, H, W]; weight: [C_in, C_out/groups, kh, kw]; bias: [C_out].
/// Output [N, C_out, Hout, Wout], Hout = (H − 1)·sh − 2·ph + dh·(kh − 1) + output_padding + 1.
public func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                            padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
                            dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    precondition(x.rank == 4, "convTranspose2d: input must be [N, C_in, H, W], got \(x.shape)")
    precondition(weight.rank == 4,
                 "convTranspose2d: weight must be [C_in, C_out/groups, kh, kw], got \(weight.shape)")
    let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    precondition(weight.shape[0] == cin,
                 "convTranspose2d: weight \(weight.shape) expects \(weight.shape[0]) input channels, input \(x.shape) has \(cin)")
    precondition(groups >= 1 && cin % groups == 0,
                 "convTranspose2d: groups \(groups) must divide input channels \(cin)")
    let (cout, kh, kw) = (weight.shape[1] * groups, weight.shape[2], weight.shape[3])
    precondition(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0,
                 "convTranspose2d: stride \(stride) and dilation \(dilation) must be positive")
    precondition(padding.0 >= 0 && padding.1 >= 0, "convTranspose2d: padding \(padding) must be non-negative")
    precondition(outputPadding.0 >= 0 && outputPadding.1 >= 0
                 && (outputPadding.0 < stride.0 || outputPadding.0 < dilation.0)
                 && (outputPadding.1 < stride.1 || outputPadding.1 < dilation.1),
                 "convTranspose2d: output padding \(outputPadding) must be smaller than stride \(stride) or dilation \(dilation)")
    if let bias { precondition(bias.shape == [cout], "convTranspose2d: bias must be [\(cout)], got \(bias.shape)") }
    let hout = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let wout = (w - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    precondition(hout > 0 && wout > 0, "convTranspose2d: output size \(hout)x\(wout) is not positive")
    // The convolution this is the adjoint of: from the output (C_out) to the input (C_in).
    let s = ConvShape(n: n, c: cout, h: hout, w: wout, o: cin, kh: kh, kw: kw,
                      sh: stride.0, sw: stride.1, ph: padding.0, pw: padding.1,
                      dh: dilation.0, dw: dilation.1, groups: groups, ho: h, wo: w)
    let out = Tensor(uninitializedShape: [n, cout, hout, wout])
    ConvEngine.backward(x: nil, dy: x.data, w: weight.data, s, dx: out.data, dw: nil)
    if let bias { ConvKernels.addChannelBias(out.data, images: n, channels: cout, len: s.hw, bias.data) }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return out.recordingGrad(inputs: inputs) { g in
        if x.tracksGrad {
            let gx = Tensor(uninitializedShape: x.shape)
            ConvEngine.forward(g.data, weight.data, bias: nil, s, gx.data)
            x.accumulateGrad(gx)
        }
        if weight.tracksGrad {
            let gw = Tensor(uninitializedShape: weight.shape)
            ConvEngine.backward(x: g.data, dy: x.data, w: weight.data, s, dx: nil, dw: gw.data)
            weight.accumulateGrad(gw)
        }
        if let bias, bias.tracksGrad {
            let gb = Tensor(uninitializedShape: [cout])
            ConvKernels.channelSums(g.data, images: n, channels: cout, len: s.hw, gb.data)
            bias.accumulateGrad(gb)
        }
    }
}
