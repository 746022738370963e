/// Multi-head attention (Vaswani et al. 2017, §3.2.2) as PyTorch's `nn.MultiheadAttention`
/// with `batch_first=True`: the same parameters, names and layout, so its state_dict loads.
///
///   in_proj_weight [3E, E]  W_q, W_k, W_v stacked (rows 0..<E, E..<2E, 2E..<3E)
///   in_proj_bias   [3E]     (absent when `bias: false`)
///   out_proj               a Linear(E, E): out_proj.weight, out_proj.bias
///
/// Each of the H heads attends with d = E/H dimensions; the attention itself is TensorCore's
/// fused `scaledDotProductAttention`, with dropout on the attention weights in training.
public final class MultiheadAttention: Module {
    @Parameter public var in_proj_weight: Tensor
    @Parameter public var in_proj_bias: Tensor?
    public let out_proj: Linear
    public let embedDim: Int, heads: Int, dropout: Float
    /// The attention-dropout masks' stream, `dropout_rng` in a checkpoint, so that a resumed
    /// run draws the masks an uninterrupted one would.
    @RandomState private var dropout_rng: RNG

    /// PyTorch's init: xavier_uniform on in_proj_weight (over the whole [3E, E]), zeros for
    /// in_proj_bias and out_proj.bias, out_proj.weight as a Linear's default.
    public init(embedDim: Int, heads: Int, dropout: Float = 0, bias: Bool = true, rng: inout RNG) {
        precondition(heads >= 1 && embedDim % heads == 0,
                     "MultiheadAttention: embedDim \(embedDim) does not split into \(heads) heads")
        precondition(dropout >= 0 && dropout < 1, "MultiheadAttention: dropout \(dropout) not in [0, 1)")
        in_proj_weight = Init.xavierUniform([3 * embedDim, embedDim], rng: &rng)
        in_proj_bias = bias ? Tensor.zeros([3 * embedDim]) : nil
        out_proj = Linear(embedDim, embedDim, bias: bias, rng: &rng)
        if bias { out_proj.bias = Tensor.zeros([embedDim]) }
        self.embedDim = embedDim; self.heads = heads; self.dropout = dropout
        dropout_rng = rng.split(rng.next())
        super.init()
    }

    /// Attention of `query` [B, Tq, E] over `key` [B, Tk, E] and `value` [B, Tk, E]
    /// (batch first). Passing the same tensor as all three (self-attention) projects it with
    /// one product.
    ///
    /// - keyPaddingMask: [B][Tk], `true` = a padding key that no query attends to (PyTorch's
    ///   `key_padding_mask` convention).
    /// - mask: optional, broadcast to [B, H, Tq, Tk], non-zero = may attend (TensorCore's
    ///   `scaledDotProductAttention` convention, the opposite of PyTorch's boolean
    ///   `attn_mask`); combined with the padding mask.
    /// - causal: query i sees keys 0…i only.
    /// - needWeights: also return the attention probabilities per head, [B, H, Tq, Tk],
    ///   detached and before dropout (for drawing). PyTorch's default display average over
    ///   heads is `weights.mean(axis: 1)` → [B, Tq, Tk].
    ///
    /// A query whose every key is masked gets zero weights and a zero attention output
    /// (PyTorch gives NaN).
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: [[Bool]]? = nil,
                               mask: Tensor? = nil, causal: Bool = false,
                               needWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let e = embedDim, d = embedDim / heads
        precondition(query.rank == 3 && query.shape[2] == e && key.rank == 3 && key.shape[2] == e
                     && value.shape == key.shape && key.shape[0] == query.shape[0],
                     "MultiheadAttention: query \(query.shape), key \(key.shape), value \(value.shape) must be [B, Tq, \(e)], [B, Tk, \(e)], [B, Tk, \(e)] (batch first)")
        let (b, tq, tk) = (query.shape[0], query.shape[1], key.shape[1])
        let w = in_proj_weight, bias = in_proj_bias
        /// x [B, T, n·E] → n tensors [B, H, T, d].
        func splitHeads(_ x: Tensor, _ n: Int) -> [Tensor] {
            let t = x.shape[1]
            let parts = x.reshaped([b, t, n, heads, d]).permuted([2, 0, 3, 1, 4])
            return timeSlices(parts).map { $0.reshaped([b, heads, t, d]) }
        }
        /// The weight rows and bias of blocks `r` of the stack (0 query, 1 key, 2 value).
        func rows(_ r: Range<Int>) -> (Tensor, Tensor?) {
            (w.slice(axis: 0, (r.lowerBound * e)..<(r.upperBound * e)),
             bias?.slice(axis: 0, (r.lowerBound * e)..<(r.upperBound * e)))
        }
        let q: Tensor, k: Tensor, v: Tensor
        if query === key && key === value {
            let s = splitHeads(project(query, w, bias), 3)
            (q, k, v) = (s[0], s[1], s[2])
        } else {
            let (wq, bq) = rows(0..<1)
            q = splitHeads(project(query, wq, bq), 1)[0]
            if key === value {
                let (wkv, bkv) = rows(1..<3)
                let s = splitHeads(project(key, wkv, bkv), 2)
                (k, v) = (s[0], s[1])
            } else {
                let (wk, bk) = rows(1..<2), (wv, bv) = rows(2..<3)
                k = splitHeads(project(key, wk, bk), 1)[0]
                v = splitHeads(project(value, wv, bv), 1)[0]
            }
        }
        var m = mask
        if let kpm = keyPaddingMask {
            precondition(kpm.count == b && kpm.allSatisfy { $0.count == tk },
                         "MultiheadAttention: keyPaddingMask must be [\(b)][\(tk)]")
            let keep = Tensor(kpm.flatMap { $0.map { $0 ? 0 : 1 } }, shape: [b, 1, 1, tk])
            m = m.map { other in withNoGrad { keep * other } } ?? keep
        }
        let p = isTraining ? dropout : 0
        let (o, weights) = p > 0
            ? scaledDotProductAttention(query: q, key: k, value: v, mask: m, causal: causal, dropout: p,
                                        rng: &dropout_rng, returnWeights: needWeights)
            : scaledDotProductAttention(query: q, key: k, value: v, mask: m, causal: causal,
                                        returnWeights: needWeights)
        let merged = o.permuted([0, 2, 1, 3]).reshaped([b, tq, e])
        return (out_proj(merged), weights)
    }

    /// Self-attention of x [B, T, E] without masks.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        callAsFunction(query: x, key: x, value: x).output
    }
}
