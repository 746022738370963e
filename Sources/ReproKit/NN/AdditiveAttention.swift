/// Additive attention (Bahdanau, Cho & Bengio 2015, arXiv:1409.0473, §3.1 and App. A.1.2):
///   e_ij = vᵀ tanh(W s_{i−1} + U h_j),  α_ij = softmax_j(e_ij),  c_i = Σ_j α_ij h_j,
/// with s_{i−1} the decoder state (the query) and h_j the annotations (the keys).
///
/// State-dict names: W.weight [A, Dq] (no bias), U.weight [A, Dk], U.bias [A],
/// v.weight [1, A] (no bias); A is the attention size. The paper's alignment model has no
/// bias; U's is harmless (it is one shared shift inside the tanh) and matches common code.
public final class AdditiveAttention: Module {
    public let W: Linear
    public let U: Linear
    public let v: Linear

    public init(queryDim: Int, keyDim: Int, attentionDim: Int, rng: inout RNG) {
        W = Linear(queryDim, attentionDim, bias: false, rng: &rng)
        U = Linear(keyDim, attentionDim, rng: &rng)
        v = Linear(attentionDim, 1, bias: false, rng: &rng)
        super.init()
    }

    /// U h_j for every key, [B, T, A]: it does not depend on the query, so a decoder computes
    /// it once per source sentence and passes it to every step.
    public func projectKeys(_ keys: Tensor) -> Tensor { U(keys) }

    /// query [B, Dq], keys [B, T, Dk] → context [B, Dk] and weights α [B, T].
    /// `keyPaddingMask` [B][T]: `true` = padding, weight 0. `projectedKeys`: `projectKeys(keys)`
    /// computed earlier (optional). A row whose every key is masked gets zero weights.
    public func callAsFunction(query: Tensor, keys: Tensor, projectedKeys: Tensor? = nil,
                               keyPaddingMask: [[Bool]]? = nil) -> (context: Tensor, weights: Tensor) {
        precondition(query.rank == 2 && keys.rank == 3 && keys.shape[0] == query.shape[0],
                     "AdditiveAttention: query \(query.shape), keys \(keys.shape) must be [B, Dq], [B, T, Dk]")
        let (b, t) = (keys.shape[0], keys.shape[1])
        let uh = projectedKeys ?? projectKeys(keys)                          // [B, T, A]
        let ws = W(query).unsqueeze(axis: 1)                                  // [B, 1, A]
        var e = v((ws + uh).tanh()).reshaped([b, t])                          // [B, T]
        if let kpm = keyPaddingMask {
            precondition(kpm.count == b && kpm.allSatisfy { $0.count == t },
                         "AdditiveAttention: keyPaddingMask must be [\(b)][\(t)]")
            e = e.maskedFill(Tensor(kpm.flatMap { $0.map { $0 ? 1 : 0 } }, shape: [b, t]), -.infinity)
        }
        let alpha = e.softmax(axis: -1)
        let context = alpha.unsqueeze(axis: 1).matmul(keys).reshaped([b, keys.shape[2]])
        return (context, alpha)
    }
}
