// Denoising Diffusion Probabilistic Models
// Jonathan Ho, Ajay Jain, Pieter Abbeel — arXiv:2006.11239
//
// The blocks of the DDPM U-Net (Appendix B), named as in the PyTorch port of the authors'
// TensorFlow code (pesser/pytorch_diffusion), so that a state_dict loads by name: a residual
// block with the timestep embedding added inside it, single- or multi-head self-attention
// over the pixels, strided-conv downsampling and nearest + conv upsampling.
import Foundation
import TensorCore

/// The sinusoidal timestep embedding of the DDPM code (`get_timestep_embedding`): for t and
/// i < dim/2, sin(t·fᵢ) in the first half and cos(t·fᵢ) in the second, fᵢ = 10000^(−i/(dim/2 − 1)).
/// [timesteps.count, dim]; computed in Double (t·fᵢ reaches 1000 rad, where Float's rounding
/// of the argument alone would cost 1e-4) and not differentiated.
public func timestepEmbedding(_ timesteps: [Int], dim: Int) -> Tensor {
    precondition(dim >= 4 && dim % 2 == 0, "timestepEmbedding: dim \(dim) must be even and at least 4")
    let half = dim / 2
    let step = Foundation.log(10_000.0) / Double(half - 1)
    var out = [Float](repeating: 0, count: timesteps.count * dim)
    for (row, t) in timesteps.enumerated() {
        for i in 0..<half {
            let angle = Double(t) * Foundation.exp(-step * Double(i))
            out[row * dim + i] = Float(Foundation.sin(angle))
            out[row * dim + half + i] = Float(Foundation.cos(angle))
        }
    }
    return Tensor(out, shape: [timesteps.count, dim])
}

/// The U-Net's residual block: GroupNorm → SiLU → conv 3×3, plus a projection of the
/// (SiLU'd) timestep embedding broadcast over the pixels, then GroupNorm → SiLU → dropout →
/// conv 3×3; the input comes back through a 1×1 conv (`nin_shortcut`) when the channels change.
public final class UNetResBlock: Module {
    public let norm1: GroupNorm, conv1: Conv2d, temb_proj: Linear
    public let norm2: GroupNorm, dropout: Dropout, conv2: Conv2d
    public let nin_shortcut: Conv2d?

    public init(_ inChannels: Int, _ outChannels: Int, timeChannels: Int, groups: Int, dropout p: Float,
                rng: inout RNG) {
        norm1 = GroupNorm(groups: groups, channels: inChannels)
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, rng: &rng)
        temb_proj = Linear(timeChannels, outChannels, rng: &rng)
        norm2 = GroupNorm(groups: groups, channels: outChannels)
        dropout = Dropout(p, rng: &rng)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, rng: &rng)
        nin_shortcut = inChannels == outChannels ? nil : Conv2d(inChannels, outChannels, kernelSize: 1, rng: &rng)
        super.init()
    }

    /// x [B, C, H, W] and the timestep embedding [B, timeChannels].
    public func callAsFunction(_ x: Tensor, time: Tensor) -> Tensor {
        var h = conv1(norm1(x).silu())
        let t = temb_proj(time.silu())
        h = h + t.reshaped([t.shape[0], t.shape[1], 1, 1])
        h = conv2(dropout(norm2(h).silu()))
        return (nin_shortcut.map { $0(x) } ?? x) + h
    }
}

/// Self-attention over the H·W pixels of a feature map, with a residual: GroupNorm, then
/// `nn.MultiheadAttention` on [B, H·W, C] (one head is the paper's q, k, v and proj_out 1×1
/// convs, which are the same maps on each pixel).
public final class UNetAttentionBlock: Module {
    public let norm: GroupNorm, attn: MultiheadAttention

    public init(channels: Int, heads: Int, groups: Int, rng: inout RNG) {
        norm = GroupNorm(groups: groups, channels: channels)
        attn = MultiheadAttention(embedDim: channels, heads: heads, rng: &rng)
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "UNetAttentionBlock: input must be [B, C, H, W], got \(x.shape)")
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = norm(x).reshaped([b, c, h * w]).permuted([0, 2, 1])
        let y = attn(tokens).permuted([0, 2, 1]).reshaped([b, c, h, w])
        return x + y
    }
}

/// Halving (a 3×3 conv of stride 2) or doubling (nearest-neighbour, then a 3×3 conv) the
/// resolution; the conv is `conv` either way, as in the DDPM code's Downsample / Upsample.
final class UNetResample: Module {
    let conv: Conv2d
    let up: Bool

    init(channels: Int, up: Bool, rng: inout RNG) {
        conv = Conv2d(channels, channels, kernelSize: 3, stride: up ? 1 : 2, padding: 1, rng: &rng)
        self.up = up
        super.init()
    }

    override func callAsFunction(_ x: Tensor) -> Tensor {
        up ? conv(upsampleNearest2d(x, scale: 2)) : conv(x)
    }
}
