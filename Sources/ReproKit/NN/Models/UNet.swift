// Denoising Diffusion Probabilistic Models
// Jonathan Ho, Ajay Jain, Pieter Abbeel — arXiv:2006.11239
//
// The noise-predicting U-Net of Appendix B (a PixelCNN++-style backbone after Wide ResNet),
// at any scale: per resolution level some residual blocks (self-attention after each where the
// resolution is listed), then a strided-conv downsampling; a middle of block, attention, block;
// an up path mirroring it with one block more per level, each fed the matching down-path
// activation concatenated along the channels; GroupNorm → SiLU → conv 3×3 out. The paper's
// CIFAR-10 model is UNetConfig(baseChannels: 128, channelMultipliers: [1, 2, 2, 2],
// resBlocks: 2, attentionResolutions: [16], dropout: 0.1, groups: 32) on 32×32 images.
import TensorCore

/// The U-Net's shape. Parameter names do not depend on it beyond how many of each there are.
public struct UNetConfig: Sendable {
    /// Image channels in and out (ε has the image's shape).
    public var imageChannels: Int
    /// Height and width of the (square) input; each level but the last halves it.
    public var imageSize: Int
    /// Channels of the first level; level i has baseChannels · channelMultipliers[i].
    public var baseChannels: Int
    public var channelMultipliers: [Int]
    /// Residual blocks per level on the way down (one more on the way up).
    public var resBlocks: Int
    /// The resolutions (sides, e.g. 16) after whose blocks self-attention runs; the middle
    /// always has one.
    public var attentionResolutions: [Int]
    public var dropout: Float
    /// GroupNorm groups; every level's channels must divide by it.
    public var groups: Int
    /// Attention heads (1 in the paper).
    public var heads: Int

    public init(imageChannels: Int = 1, imageSize: Int = 32, baseChannels: Int = 32, channelMultipliers: [Int] = [1, 2, 2],
                resBlocks: Int = 1, attentionResolutions: [Int] = [8], dropout: Float = 0.1, groups: Int = 8,
                heads: Int = 1) {
        self.imageChannels = imageChannels; self.imageSize = imageSize; self.baseChannels = baseChannels
        self.channelMultipliers = channelMultipliers; self.resBlocks = resBlocks
        self.attentionResolutions = attentionResolutions; self.dropout = dropout; self.groups = groups
        self.heads = heads
    }

    /// Why this config cannot be built, or nil.
    public var problem: String? {
        let levels = channelMultipliers.count
        if levels < 1 || channelMultipliers.contains(where: { $0 < 1 }) { return "channel multipliers must be ≥ 1, got \(channelMultipliers)" }
        if baseChannels < 1 || resBlocks < 1 || heads < 1 { return "base channels, residual blocks and heads must be ≥ 1" }
        if imageSize % (1 << (levels - 1)) != 0 { return "image size \(imageSize) does not halve \(levels - 1) times" }
        for m in channelMultipliers + [1] where (baseChannels * m) % groups != 0 || (baseChannels * m) % heads != 0 {
            return "\(baseChannels * m) channels do not split into \(groups) groups and \(heads) heads"
        }
        if !(0..<1).contains(dropout) { return "dropout \(dropout) not in [0, 1)" }
        return nil
    }
}

/// One resolution level: `block.j`, `attn.j` (empty where the level has no attention), and
/// `downsample` on the way down or `upsample` on the way up (neither at the bottom or top).
final class UNetLevel: Module {
    let block: [UNetResBlock]
    let attn: [UNetAttentionBlock]
    let downsample: UNetResample?
    let upsample: UNetResample?

    init(block: [UNetResBlock], attn: [UNetAttentionBlock], downsample: UNetResample?, upsample: UNetResample?) {
        self.block = block; self.attn = attn; self.downsample = downsample; self.upsample = upsample
        super.init()
    }

    /// Block j, then its attention if the level has any.
    func apply(_ j: Int, _ x: Tensor, time: Tensor) -> Tensor {
        let h = block[j](x, time: time)
        return attn.isEmpty ? h : attn[j](h)
    }
}

/// The bottom of the U: block, attention, block.
final class UNetMiddle: Module {
    let block_1: UNetResBlock, attn_1: UNetAttentionBlock, block_2: UNetResBlock

    init(channels: Int, timeChannels: Int, _ c: UNetConfig, rng: inout RNG) {
        block_1 = UNetResBlock(channels, channels, timeChannels: timeChannels, groups: c.groups, dropout: c.dropout, rng: &rng)
        attn_1 = UNetAttentionBlock(channels: channels, heads: c.heads, groups: c.groups, rng: &rng)
        block_2 = UNetResBlock(channels, channels, timeChannels: timeChannels, groups: c.groups, dropout: c.dropout, rng: &rng)
        super.init()
    }
}

/// The timestep MLP: `dense.0` (baseChannels → 4·baseChannels), SiLU, `dense.1`.
final class UNetTimeEmbedding: Module {
    let dense: [Linear]

    init(channels: Int, rng: inout RNG) {
        dense = [Linear(channels, 4 * channels, rng: &rng), Linear(4 * channels, 4 * channels, rng: &rng)]
        super.init()
    }
}

/// DDPM's ε-network: ε̂(x_t, t) with the image's shape. Parameter names as the PyTorch port of
/// the authors' code (`temb.dense.0`, `conv_in`, `down.1.block.0.conv1`, `down.0.downsample.conv`,
/// `mid.attn_1`, `up.2.block.1.nin_shortcut`, `norm_out`, `conv_out`), with attention as
/// `nn.MultiheadAttention` (`….attn.0.attn.in_proj_weight`). PyTorch's default init.
public final class UNet: Module {
    public let config: UNetConfig
    let temb: UNetTimeEmbedding
    public let conv_in: Conv2d
    let down: [UNetLevel]
    let mid: UNetMiddle
    /// up.i works at level i's resolution (as `down.i`); they run from the last level to 0.
    let up: [UNetLevel]
    public let norm_out: GroupNorm, conv_out: Conv2d

    public init(_ c: UNetConfig, rng: inout RNG) {
        precondition(c.problem == nil, "UNet: \(c.problem ?? "")")
        config = c
        let ch = c.baseChannels, tch = 4 * ch, levels = c.channelMultipliers.count
        let width = c.channelMultipliers.map { ch * $0 }
        temb = UNetTimeEmbedding(channels: ch, rng: &rng)
        conv_in = Conv2d(c.imageChannels, ch, kernelSize: 3, padding: 1, rng: &rng)
        func block(_ i: Int, _ o: Int, _ rng: inout RNG) -> UNetResBlock {
            UNetResBlock(i, o, timeChannels: tch, groups: c.groups, dropout: c.dropout, rng: &rng)
        }
        func attention(_ n: Int, _ channels: Int, _ size: Int, _ rng: inout RNG) -> [UNetAttentionBlock] {
            guard c.attentionResolutions.contains(size) else { return [] }
            return (0..<n).map { _ in UNetAttentionBlock(channels: channels, heads: c.heads, groups: c.groups, rng: &rng) }
        }
        // The channels of every activation the down path hands to the up path, in order.
        var skips = [ch], channels = ch, size = c.imageSize
        var down: [UNetLevel] = []
        for i in 0..<levels {
            let blocks = (0..<c.resBlocks).map { j in block(j == 0 ? channels : width[i], width[i], &rng) }
            channels = width[i]
            skips += Array(repeating: channels, count: c.resBlocks)
            let last = i == levels - 1
            down.append(UNetLevel(block: blocks, attn: attention(c.resBlocks, channels, size, &rng),
                                  downsample: last ? nil : UNetResample(channels: channels, up: false, rng: &rng),
                                  upsample: nil))
            if !last { skips.append(channels); size /= 2 }
        }
        mid = UNetMiddle(channels: channels, timeChannels: tch, c, rng: &rng)
        var up: [UNetLevel] = []
        for i in (0..<levels).reversed() {
            let blocks = (0...c.resBlocks).map { _ -> UNetResBlock in
                let b = block(channels + skips.removeLast(), width[i], &rng)
                channels = width[i]
                return b
            }
            up.insert(UNetLevel(block: blocks, attn: attention(c.resBlocks + 1, channels, size, &rng), downsample: nil,
                                upsample: i == 0 ? nil : UNetResample(channels: channels, up: true, rng: &rng)), at: 0)
            if i != 0 { size *= 2 }
        }
        self.down = down; self.up = up
        norm_out = GroupNorm(groups: c.groups, channels: channels)
        conv_out = Conv2d(channels, c.imageChannels, kernelSize: 3, padding: 1, rng: &rng)
        super.init()
    }

    /// ε̂ for images x [B, C, S, S] at integer timesteps (one per image).
    public func callAsFunction(_ x: Tensor, timesteps: [Int]) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == config.imageChannels && x.shape[2] == config.imageSize
                     && x.shape[3] == config.imageSize && timesteps.count == x.shape[0],
                     "UNet: input \(x.shape) with \(timesteps.count) timesteps; expected [B, \(config.imageChannels), \(config.imageSize), \(config.imageSize)] and B timesteps")
        let e = timestepEmbedding(timesteps, dim: config.baseChannels)
        let time = temb.dense[1](temb.dense[0](e).silu())
        var hs = [conv_in(x)]
        for level in down {
            for j in level.block.indices { hs.append(level.apply(j, hs[hs.count - 1], time: time)) }
            if let d = level.downsample { hs.append(d(hs[hs.count - 1])) }
        }
        var h = mid.block_2(mid.attn_1(mid.block_1(hs[hs.count - 1], time: time)), time: time)
        for level in up.reversed() {
            for j in level.block.indices { h = level.apply(j, Tensor.concat([h, hs.removeLast()], axis: 1), time: time) }
            if let u = level.upsample { h = u(h) }
        }
        return conv_out(norm_out(h).silu())
    }
}
