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
        let e = embedDim
        precondition(query.rank == 3 && query.shape[2] == e && key.rank == 3 && key.shape[2] == e
                     && value.shape == key.shape && key.shape[0] == query.shape[0],
                     "MultiheadAttention: query \(query.shape), key \(key.shape), value \(value.shape) must be [B, Tq, \(e)], [B, Tk, \(e)], [B, Tk, \(e)] (batch first)")
        let (b, tk) = (query.shape[0], key.shape[1])
        let q: Tensor, k: Tensor, v: Tensor
        if query === key && key === value {
            let s = splitHeads(project(query, in_proj_weight, in_proj_bias), 3)
            (q, k, v) = (s[0], s[1], s[2])
        } else {
            q = queryHeads(query)
            if key === value {
                (k, v) = keysAndValues(key)
            } else {
                let (wk, bk) = projection(1..<2), (wv, bv) = projection(2..<3)
                k = splitHeads(project(key, wk, bk), 1)[0]
                v = splitHeads(project(value, wv, bv), 1)[0]
            }
        }
        var m = mask
        if let kpm = keyPaddingMask {
            precondition(kpm.count == b && kpm.allSatisfy { $0.count == tk },
                         "MultiheadAttention: keyPaddingMask must be [\(b)][\(tk)]")
            let keep = Self.keepMask(kpm)
            m = m.map { other in withNoGrad { keep * other } } ?? keep
        }
        return attendHeads(q, k, v, mask: m, causal: causal, needWeights: needWeights)
    }

    // MARK: Incremental decoding (a key/value cache)

    /// The key and value heads of `x` [B, T, E] (W_k x + b_k, W_v x + b_v in one product),
    /// each [B, H, T, d]: what later queries attend over. A decoder projects its encoder's
    /// output once with this and keeps the heads for every step.
    public func keysAndValues(_ x: Tensor) -> (key: Tensor, value: Tensor) {
        let (w, bias) = projection(1..<3)
        let s = splitHeads(project(x, w, bias), 2)
        return (s[0], s[1])
    }

    /// Attention of `query` [B, Tq, E] (projected here with W_q) over heads that
    /// `keysAndValues` made earlier, key and value [B, H, Tk, d]. `keyPaddingMask` [B][Tk]:
    /// `true` = padding. Returns [B, Tq, E] and, with `needWeights`, [B, H, Tq, Tk].
    public func attend(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: [[Bool]]? = nil,
                       needWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
        precondition(key.rank == 4 && key.shape[1] == heads && key.shape == value.shape && key.shape[0] == query.shape[0],
                     "MultiheadAttention.attend: key \(key.shape), value \(value.shape) must be [B, \(heads), Tk, d] for query \(query.shape)")
        if let kpm = keyPaddingMask {
            precondition(kpm.count == key.shape[0] && kpm.allSatisfy { $0.count == key.shape[2] },
                         "MultiheadAttention.attend: keyPaddingMask must be [\(key.shape[0])][\(key.shape[2])]")
        }
        return attendHeads(queryHeads(query), key, value, mask: keyPaddingMask.map(Self.keepMask), causal: false,
                           needWeights: needWeights)
    }

    /// Causal self-attention of the newest position(s) `x` [B, Tn, E] of a sequence whose
    /// earlier keys and values are in `cache` (nil at the first step): appends x's own keys
    /// and values to the cache and attends over all of them. Position i of x sees the cached
    /// positions and x's positions 0…i, so stepping one token at a time gives what a causal
    /// pass over the whole sequence gives, without recomputing the earlier positions.
    public func cachedSelfAttention(_ x: Tensor, cache: inout KeyValueCache?,
                                    needWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let s = splitHeads(project(x, in_proj_weight, in_proj_bias), 3)
        let (k, v): (Tensor, Tensor)
        if let c = cache {
            (k, v) = (Tensor.concat([c.key, s[1]], axis: 2), Tensor.concat([c.value, s[2]], axis: 2))
        } else {
            (k, v) = (s[1], s[2])
        }
        cache = KeyValueCache(key: k, value: v)
        let (tn, tk) = (x.shape[1], k.shape[2])
        // Query i (absolute position tk − tn + i) sees keys 0 … tk − tn + i.
        let m = tn == 1 ? nil : Tensor((0..<tn).flatMap { i in (0..<tk).map { j in j <= tk - tn + i ? Float(1) : 0 } },
                                         shape: [1, 1, tn, tk])
        return attendHeads(s[0], k, v, mask: m, causal: false, needWeights: needWeights)
    }

    // MARK: Shared pieces

    /// x [B, T, n·E] → n tensors [B, H, T, d].
    private func splitHeads(_ x: Tensor, _ n: Int) -> [Tensor] {
        let (b, t, d) = (x.shape[0], x.shape[1], embedDim / heads)
        let parts = x.reshaped([b, t, n, heads, d]).permuted([2, 0, 3, 1, 4])
        return timeSlices(parts).map { $0.reshaped([b, heads, t, d]) }
    }

    /// The weight rows and bias of blocks `r` of the stack (0 query, 1 key, 2 value).
    private func projection(_ r: Range<Int>) -> (Tensor, Tensor?) {
        let e = embedDim
        return (in_proj_weight.slice(axis: 0, (r.lowerBound * e)..<(r.upperBound * e)),
                in_proj_bias?.slice(axis: 0, (r.lowerBound * e)..<(r.upperBound * e)))
    }

    /// W_q x + b_q as heads [B, H, T, d].
    private func queryHeads(_ x: Tensor) -> Tensor {
        let (w, bias) = projection(0..<1)
        return splitHeads(project(x, w, bias), 1)[0]
    }

    /// [B][Tk] padding flags → a keep mask [B, 1, 1, Tk] (1 = may attend).
    private static func keepMask(_ keyPaddingMask: [[Bool]]) -> Tensor {
        Tensor(keyPaddingMask.flatMap { $0.map { $0 ? 0 : 1 } },
               shape: [keyPaddingMask.count, 1, 1, keyPaddingMask.first?.count ?? 0])
    }

    /// Attention of heads q [B, H, Tq, d] over k, v [B, H, Tk, d], heads merged and projected
    /// by out_proj: [B, Tq, E].
    private func attendHeads(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor?, causal: Bool,
                             needWeights: Bool) -> (output: Tensor, weights: Tensor?) {
        let (b, tq) = (q.shape[0], q.shape[2])
        let p = isTraining ? dropout : 0
        let (o, weights) = p > 0
            ? scaledDotProductAttention(query: q, key: k, value: v, mask: mask, causal: causal, dropout: p,
                                        rng: &dropout_rng, returnWeights: needWeights)
            : scaledDotProductAttention(query: q, key: k, value: v, mask: mask, causal: causal,
                                        returnWeights: needWeights)
        let merged = o.permuted([0, 2, 1, 3]).reshaped([b, tq, embedDim])
        return (out_proj(merged), weights)
    }

    /// Self-attention of x [B, T, E] without masks.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        callAsFunction(query: x, key: x, value: x).output
    }
}

/// The keys and values [B, H, T, d] of the positions a decoder has generated so far, for one
/// self-attention layer (`MultiheadAttention.cachedSelfAttention`).
public struct KeyValueCache {
    public var key: Tensor, value: Tensor

    public init(key: Tensor, value: Tensor) { self.key = key; self.value = value }

    /// Rows `rows` of the batch, in that order (beam search reorders its beams with this).
    public func selecting(_ rows: [Int]) -> KeyValueCache {
        KeyValueCache(key: key.indexSelect(axis: 0, rows), value: value.indexSelect(axis: 0, rows))
    }
}
