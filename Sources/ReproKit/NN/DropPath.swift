/// Stochastic depth (Huang et al. 2016, arXiv:1603.09382) as timm's `drop_path`: in
/// training, each sample (axis 0) of a residual branch is zeroed with probability `p` and the
/// surviving samples are scaled by 1/(1 − p), so the branch's expected value is unchanged and
/// evaluation needs no rescaling. Identity (the same tensor) in evaluation or when p = 0.
///
/// Use it on the branch only: `x + dropPath(f(x))`, never on the sum.
public final class DropPath: Module {
    public let p: Float
    /// The per-sample keep/drop draws, `rng` in a checkpoint, so that a resumed run drops the
    /// samples an uninterrupted one would.
    @RandomState private var rng: RNG

    public init(_ p: Float, rng: inout RNG) {
        precondition(p >= 0 && p < 1, "DropPath: probability \(p) not in [0, 1)")
        self.p = p
        // A stream of its own, as Dropout's: two modules made from one RNG must not share draws.
        self.rng = rng.split(rng.next())
        super.init()
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        guard isTraining && p > 0 else { return x }
        let b = x.shape[0]
        // Inverted dropout of a vector of ones is the per-sample factor, 0 or 1/(1 − p): the
        // same draw rule (and counter bookkeeping) as element dropout, one draw per sample.
        let keep = dropout(Tensor.ones([b]), p: p, training: true, rng: &rng)
        return x * keep.reshaped([b] + [Int](repeating: 1, count: x.rank - 1))
    }
}
