/// A stack of Transformer encoder layers with an optional final layer norm, as PyTorch's
/// `nn.TransformerEncoder(layer, num_layers, norm)`: parameters `layers.0.…` to
/// `layers.{N−1}.…`, then `norm.weight`, `norm.bias`.
///
/// Unlike PyTorch, which deep-copies one layer N times (N identical initial layers), the
/// layers are passed in, each initialised on its own.
///
/// A pre-norm stack (ViT) needs the final `norm`: its last residual sum is otherwise never
/// normalised. A post-norm stack ends in a norm already.
public final class TransformerEncoder: Module {
    public let layers: [TransformerEncoderLayer]
    public let norm: LayerNorm?

    public init(_ layers: [TransformerEncoderLayer], norm: LayerNorm? = nil) {
        precondition(!layers.isEmpty, "TransformerEncoder: no layers")
        self.layers = layers
        self.norm = norm
        super.init()
    }

    /// The stack on x [B, T, d_model]; the masks as `TransformerEncoderLayer`'s, applied in
    /// every layer. With `needWeights`, `weights[l]` is layer l's self-attention per head
    /// [B, H, T, T].
    public func callAsFunction(_ x: Tensor, keyPaddingMask: [[Bool]]? = nil, causal: Bool = false,
                               needWeights: Bool = false) -> (output: Tensor, weights: [Tensor]?) {
        var h = x
        var weights: [Tensor] = []
        for layer in layers {
            let r = layer(h, keyPaddingMask: keyPaddingMask, causal: causal, needWeights: needWeights)
            h = r.output
            if let w = r.weights { weights.append(w) }
        }
        return (norm.map { $0(h) } ?? h, needWeights ? weights : nil)
    }

    /// The stack without masks.
    public override func callAsFunction(_ x: Tensor) -> Tensor { self(x, needWeights: false).output }
}
