// An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale.
// Alexey Dosovitskiy, Lucas Beyer, Alexander Kolesnikov, Dirk Weissenborn, Xiaohua Zhai,
// Thomas Unterthiner, Mostafa Dehghani, Matthias Minderer, Georg Heigold, Sylvain Gelly,
// Jakob Uszkoreit, Neil Houlsby. ICLR 2021. arXiv:2010.11929.
//
// §3.1: the image is cut into N = HW/P² patches, each flattened and linearly projected (a
// P×P convolution with stride P is exactly that), a learnable class token is prepended,
// learned 1-D position embeddings are added, and a pre-norm Transformer encoder runs over
// the N + 1 tokens; the class token's final state, layer-normed, goes to a linear head (the
// paper's pre-training head has one hidden layer; one linear layer, as it uses for fine-tuning
// and as Appendix D.3's small runs allow, is what is built here).
//
// Parameter names follow PyTorch's modules (`encoder.layers.0.self_attn.in_proj_weight`,
// `encoder.norm.weight`, …) so bench/pytorch_vit.py loads a checkpoint by name.
//
// Shared: the ViT plugin trains it as a classifier; CLIP uses it, without a head, as its image
// encoder.
import TensorCore

/// The shape of a ViT: ViT-B/16 is patch 16, width 768, depth 12, 12 heads, MLP 3072.
public struct ViTShape: Sendable {
    public var imageSize: Int, channels: Int
    /// The head's outputs; 0: no head (an encoder, as CLIP's, that reads `features`).
    public var classes: Int
    public var patch: Int, width: Int, depth: Int, heads: Int, mlp: Int
    /// Dropout on the embeddings, the attention weights, the attention output and in the MLP
    /// (PyTorch's `nn.TransformerEncoderLayer` uses one rate for all).
    public var dropout: Float
    /// The largest stochastic-depth rate, reached by the last block (rates rise linearly
    /// from 0 over the depth, as DeiT and timm do).
    public var dropPath: Float

    public init(imageSize: Int, channels: Int, classes: Int, patch: Int, width: Int, depth: Int, heads: Int, mlp: Int,
                dropout: Float = 0, dropPath: Float = 0) {
        self.imageSize = imageSize; self.channels = channels; self.classes = classes
        self.patch = patch; self.width = width; self.depth = depth; self.heads = heads; self.mlp = mlp
        self.dropout = dropout; self.dropPath = dropPath
    }

    /// Patches per side, and tokens (patches and the class token).
    public var grid: Int { imageSize / patch }
    public var tokens: Int { grid * grid + 1 }
}

/// The ViT of §3.1 (Eq. 1-4).
public final class VisionTransformer: Module {
    /// E in Eq. 1: the patch projection, a P×P conv with stride P.
    public let patch_embedding: Conv2d
    /// x_class, [1, 1, D].
    @Parameter public var class_token: Tensor
    /// E_pos, [1, N + 1, D]: one learned vector per position, the class token's first.
    @Parameter public var position_embedding: Tensor
    public let encoder: TransformerEncoder
    /// The classifier on the class token; nil for `classes = 0`.
    public let head: Linear?
    let embeddingDropout: Dropout
    public let shape: ViTShape

    public init(_ s: ViTShape, rng: inout RNG) {
        precondition(s.imageSize % s.patch == 0, "patch \(s.patch) does not tile a \(s.imageSize)-pixel image")
        shape = s
        patch_embedding = Conv2d(s.channels, s.width, kernelSize: s.patch, stride: s.patch, rng: &rng)
        // Close to torchvision's ViT (which truncates the normal): the projection as LeCun-normal
        // over its fan-in, the class token at zero, position embeddings N(0, 0.02²), the head at
        // zero (Appendix B.1.1 zeroes it for fine-tuning; from scratch it only means every class
        // starts equally likely).
        patch_embedding.weight = Init.normal(patch_embedding.weight.shape,
                                             std: (1 / Float(s.channels * s.patch * s.patch)).squareRoot(), rng: &rng)
        patch_embedding.bias = Tensor.zeros([s.width])
        class_token = Tensor.zeros([1, 1, s.width])
        position_embedding = Init.normal([1, s.tokens, s.width], std: 0.02, rng: &rng)
        let rates = (0..<s.depth).map { s.depth > 1 ? s.dropPath * Float($0) / Float(s.depth - 1) : s.dropPath }
        encoder = TransformerEncoder(
            rates.map { rate in
                TransformerEncoderLayer(dModel: s.width, heads: s.heads, feedForward: s.mlp, dropout: s.dropout,
                                        activation: .gelu, layerNormEps: 1e-6, normFirst: true, dropPath: rate,
                                        rng: &rng)
            },
            norm: LayerNorm(s.width, eps: 1e-6))
        if s.classes > 0 {
            let head = Linear(s.width, s.classes, rng: &rng)
            head.weight = Tensor.zeros(head.weight.shape)
            head.bias = Tensor.zeros([s.classes])
            self.head = head
        } else {
            head = nil
        }
        embeddingDropout = Dropout(s.dropout, rng: &rng)
        super.init()
    }

    /// z₀ = [x_class; x¹E; …; xᴺE] + E_pos (Eq. 1), [B, N + 1, D].
    public func embed(_ x: Tensor) -> Tensor {
        let b = x.shape[0], d = shape.width
        let patches = patch_embedding(x).reshaped([b, d, shape.grid * shape.grid]).permuted([0, 2, 1])
        let cls = class_token + Tensor.zeros([b, 1, d])      // broadcast to the batch
        return embeddingDropout(Tensor.concat([cls, patches], axis: 1) + position_embedding)
    }

    /// y = LN(z_L⁰), the class token's final state [B, D] (Eq. 4), and with `attention` every
    /// block's attention weights [B, H, N + 1, N + 1], first block first.
    public func features(_ x: Tensor, attention: Bool = false) -> (features: Tensor, attention: [Tensor]) {
        // z'ₗ = MSA(LN(zₗ₋₁)) + zₗ₋₁, zₗ = MLP(LN(z'ₗ)) + z'ₗ (Eq. 2-3), y = LN(z_L⁰) (Eq. 4).
        let (z, weights) = encoder(embed(x), needWeights: attention)
        let b = x.shape[0]
        return (z.slice(axis: 1, 0..<1).reshaped([b, shape.width]), weights ?? [])
    }

    /// Logits [B, classes] and, with `attention`, every block's attention weights.
    public func forward(_ x: Tensor, attention: Bool) -> (logits: Tensor, attention: [Tensor]) {
        guard let head else { preconditionFailure("VisionTransformer: no head (classes = 0); read features(_:)") }
        let (y, weights) = features(x, attention: attention)
        return (head(y), weights)
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor { forward(x, attention: false).logits }
}
