/// One Transformer decoder layer (Vaswani et al. 2017, §3.1) as PyTorch's
/// `nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
/// layer_norm_eps, batch_first=True, norm_first)`: the same parameter names, so a PyTorch
/// state_dict loads by name:
///
///   self_attn.*, multihead_attn.* (attention over the encoder's output, "memory"),
///   linear1, linear2, norm1, norm2, norm3
///
/// Post-norm (the paper's, `normFirst: false`) or pre-norm. Dropout as PyTorch's: on the
/// attention weights, on each block's output (`dropout1`, `dropout2`, `dropout3`) and between
/// the feed-forward projections (`dropout`).
///
/// Decoding step by step later (a key/value cache) composes the public blocks below with the
/// norms in the same order as `callAsFunction`; nothing here keeps state between calls.
public final class TransformerDecoderLayer: Module {
    public let self_attn: MultiheadAttention
    public let multihead_attn: MultiheadAttention
    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let norm3: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let dropout3: Dropout
    public let normFirst: Bool
    public let activation: TransformerActivation

    /// PyTorch's defaults: feed-forward 2048, dropout 0.1, ReLU, eps 1e-5, post-norm.
    public init(dModel: Int, heads: Int, feedForward: Int = 2048, dropout: Float = 0.1,
                activation: TransformerActivation = .relu, layerNormEps: Float = 1e-5,
                normFirst: Bool = false, rng: inout RNG) {
        self_attn = MultiheadAttention(embedDim: dModel, heads: heads, dropout: dropout, rng: &rng)
        multihead_attn = MultiheadAttention(embedDim: dModel, heads: heads, dropout: dropout, rng: &rng)
        linear1 = Linear(dModel, feedForward, rng: &rng)
        self.dropout = Dropout(dropout, rng: &rng)
        linear2 = Linear(feedForward, dModel, rng: &rng)
        norm1 = LayerNorm(dModel, eps: layerNormEps)
        norm2 = LayerNorm(dModel, eps: layerNormEps)
        norm3 = LayerNorm(dModel, eps: layerNormEps)
        dropout1 = Dropout(dropout, rng: &rng)
        dropout2 = Dropout(dropout, rng: &rng)
        dropout3 = Dropout(dropout, rng: &rng)
        self.normFirst = normFirst
        self.activation = activation
        super.init()
    }

    /// The layer on the target x [B, T, d_model] attending over `memory` [B, S, d_model].
    ///
    /// - causal: target position i attends to target positions 0…i only. On by default
    ///   (a decoder's usual case; PyTorch needs an explicit `tgt_mask` for it).
    /// - tgtKeyPaddingMask [B][T], memoryKeyPaddingMask [B][S]: `true` = padding, never
    ///   attended to (PyTorch's `tgt_key_padding_mask`, `memory_key_padding_mask`).
    /// - needWeights: also return the per-head probabilities of the self-attention
    ///   [B, H, T, T] and of the attention over memory [B, H, T, S] (detached, before dropout).
    public func callAsFunction(_ x: Tensor, memory: Tensor, causal: Bool = true,
                               tgtKeyPaddingMask: [[Bool]]? = nil, memoryKeyPaddingMask: [[Bool]]? = nil,
                               needWeights: Bool = false)
        -> (output: Tensor, selfWeights: Tensor?, crossWeights: Tensor?) {
        var h = x
        let sa: (output: Tensor, weights: Tensor?), ca: (output: Tensor, weights: Tensor?)
        if normFirst {
            // pre-norm: h = x + SA(LN₁(x)); h = h + CA(LN₂(h), m); out = h + FF(LN₃(h))
            sa = selfAttentionBlock(norm1(h), keyPaddingMask: tgtKeyPaddingMask, causal: causal,
                                    needWeights: needWeights)
            h = h + sa.output
            ca = crossAttentionBlock(norm2(h), memory: memory, keyPaddingMask: memoryKeyPaddingMask,
                                     needWeights: needWeights)
            h = h + ca.output
            h = h + feedForwardBlock(norm3(h))
        } else {
            // post-norm: h = LN₁(x + SA(x)); h = LN₂(h + CA(h, m)); out = LN₃(h + FF(h))
            sa = selfAttentionBlock(h, keyPaddingMask: tgtKeyPaddingMask, causal: causal, needWeights: needWeights)
            h = norm1(h + sa.output)
            ca = crossAttentionBlock(h, memory: memory, keyPaddingMask: memoryKeyPaddingMask,
                                     needWeights: needWeights)
            h = norm2(h + ca.output)
            h = norm3(h + feedForwardBlock(h))
        }
        return (h, sa.weights, ca.weights)
    }

    /// PyTorch's `_sa_block`: dropout₁(SA(x)), the target attending over itself.
    public func selfAttentionBlock(_ x: Tensor, keyPaddingMask: [[Bool]]?, causal: Bool,
                                   needWeights: Bool) -> (output: Tensor, weights: Tensor?) {
        let (a, w) = self_attn(query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, causal: causal,
                               needWeights: needWeights)
        return (dropout1(a), w)
    }

    /// PyTorch's `_mha_block`: dropout₂(CA(x, memory)), queries from the target, keys and
    /// values from the encoder's output.
    public func crossAttentionBlock(_ x: Tensor, memory: Tensor, keyPaddingMask: [[Bool]]?,
                                    needWeights: Bool) -> (output: Tensor, weights: Tensor?) {
        let (a, w) = multihead_attn(query: x, key: memory, value: memory, keyPaddingMask: keyPaddingMask,
                                    needWeights: needWeights)
        return (dropout2(a), w)
    }

    /// PyTorch's `_ff_block`: dropout₃(W₂ · dropout(act(W₁x + b₁)) + b₂).
    public func feedForwardBlock(_ x: Tensor) -> Tensor {
        dropout3(linear2(dropout(activation(linear1(x)))))
    }
}
