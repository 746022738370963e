/// The non-linearity between a Transformer layer's two feed-forward projections (PyTorch's
/// `activation="relu"` or `"gelu"`; GELU is the exact x·Φ(x), as PyTorch's).
public enum TransformerActivation: String, Sendable {
    case relu, gelu

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        }
    }
}

/// One Transformer encoder layer (Vaswani et al. 2017, §3.1) as PyTorch's
/// `nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
/// layer_norm_eps, batch_first=True, norm_first)`: the same parameter names, so a PyTorch
/// state_dict loads by name:
///
///   self_attn.in_proj_weight, self_attn.in_proj_bias, self_attn.out_proj.weight/bias,
///   linear1.weight/bias, linear2.weight/bias, norm1.weight/bias, norm2.weight/bias
///
/// Post-norm (`normFirst: false`, the paper's and PyTorch's default) or pre-norm
/// (`normFirst: true`, as ViT and most later models, which train deep stacks without warm-up
/// tricks). Dropout sits where PyTorch puts it: on the attention weights (inside the
/// attention), on the attention block's output (`dropout1`), between the feed-forward
/// projections (`dropout`) and on the feed-forward block's output (`dropout2`).
///
/// Optional stochastic depth (`dropPath` > 0, as timm's ViT blocks): each residual branch is
/// dropped per sample in training (see `DropPath`); no `drop_path` child when 0.
public final class TransformerEncoderLayer: Module {
    public let self_attn: MultiheadAttention
    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let drop_path: DropPath?
    public let normFirst: Bool
    public let activation: TransformerActivation

    /// PyTorch's defaults: feed-forward 2048, dropout 0.1, ReLU, eps 1e-5, post-norm.
    /// Parameters are initialised as PyTorch's (MultiheadAttention's and Linear's inits,
    /// LayerNorm weight 1 and bias 0).
    public init(dModel: Int, heads: Int, feedForward: Int = 2048, dropout: Float = 0.1,
                activation: TransformerActivation = .relu, layerNormEps: Float = 1e-5,
                normFirst: Bool = false, dropPath: Float = 0, rng: inout RNG) {
        self_attn = MultiheadAttention(embedDim: dModel, heads: heads, dropout: dropout, rng: &rng)
        linear1 = Linear(dModel, feedForward, rng: &rng)
        self.dropout = Dropout(dropout, rng: &rng)
        linear2 = Linear(feedForward, dModel, rng: &rng)
        norm1 = LayerNorm(dModel, eps: layerNormEps)
        norm2 = LayerNorm(dModel, eps: layerNormEps)
        dropout1 = Dropout(dropout, rng: &rng)
        dropout2 = Dropout(dropout, rng: &rng)
        drop_path = dropPath > 0 ? DropPath(dropPath, rng: &rng) : nil
        self.normFirst = normFirst
        self.activation = activation
        super.init()
    }

    /// The layer on x [B, T, d_model] (batch first).
    ///
    /// - keyPaddingMask: [B][T], `true` = a padding position no query attends to (PyTorch's
    ///   `src_key_padding_mask`).
    /// - causal: position i attends to positions 0…i only.
    /// - needWeights: also return the self-attention probabilities per head [B, H, T, T]
    ///   (detached, before dropout), e.g. for ViT's attention maps.
    public func callAsFunction(_ x: Tensor, keyPaddingMask: [[Bool]]? = nil, causal: Bool = false,
                               needWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let weights: Tensor?
        var h = x
        if normFirst {
            // pre-norm: h = x + SA(LN₁(x)); out = h + FF(LN₂(h))
            let sa = selfAttentionBlock(norm1(h), keyPaddingMask, causal, needWeights)
            h = h + branch(sa.output)
            h = h + branch(feedForwardBlock(norm2(h)))
            weights = sa.weights
        } else {
            // post-norm: h = LN₁(x + SA(x)); out = LN₂(h + FF(h))
            let sa = selfAttentionBlock(h, keyPaddingMask, causal, needWeights)
            h = norm1(h + branch(sa.output))
            h = norm2(h + branch(feedForwardBlock(h)))
            weights = sa.weights
        }
        return (h, weights)
    }

    /// The layer without masks.
    public override func callAsFunction(_ x: Tensor) -> Tensor { self(x, needWeights: false).output }

    /// PyTorch's `_sa_block`: dropout₁(SA(x)).
    public func selfAttentionBlock(_ x: Tensor, _ keyPaddingMask: [[Bool]]?, _ causal: Bool,
                                   _ needWeights: Bool) -> (output: Tensor, weights: Tensor?) {
        let (a, w) = self_attn(query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, causal: causal,
                               needWeights: needWeights)
        return (dropout1(a), w)
    }

    /// PyTorch's `_ff_block`: dropout₂(W₂ · dropout(act(W₁x + b₁)) + b₂).
    public func feedForwardBlock(_ x: Tensor) -> Tensor {
        dropout2(linear2(dropout(activation(linear1(x)))))
    }

    /// A residual branch through stochastic depth (identity without it).
    private func branch(_ y: Tensor) -> Tensor { drop_path.map { $0(y) } ?? y }
}
