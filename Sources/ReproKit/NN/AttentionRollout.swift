import Foundation

/// Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers",
/// arXiv 2005.00928), the method behind the ViT paper's Figure 6: how much each output token
/// draws, through every layer, on each input token.
///
/// Each layer's weights are averaged over heads, the identity is added for the residual
/// connection, and each row is renormalised to sum to 1:
///
///     Â_l = rownormalise(mean_h A_l,h + I)
///
/// (for attention rows that already sum to 1 this is Abnar & Zuidema's 0.5·A + 0.5·I). The
/// layers are then multiplied through, the first layer applied first:
///
///     R = Â_L · … · Â_2 · Â_1
///
/// so `R[b, i, j]` is the share of input token j in output token i. For a ViT, row 0 (the
/// class token) over the patch tokens is the map of Figure 6; see
/// `classTokenAttentionMaps(_:gridHeight:gridWidth:)`.
///
/// - Parameter layers: one attention-weight tensor per layer, `[B, H, T, T]` (query rows,
///   key columns), first layer first. B and T must agree; H may differ between layers.
/// - Returns: `[B, T, T]`, every row summing to 1. A plain forward computation in double
///   precision: no gradient flows through it.
public func attentionRollout(_ layers: [Tensor]) -> Tensor {
    precondition(!layers.isEmpty, "attentionRollout: no layers")
    let s0 = layers[0].shape
    precondition(s0.count == 4 && s0[2] == s0[3], "attentionRollout: want [B, H, T, T], got \(s0)")
    let b = s0[0], t = s0[2]
    for (l, a) in layers.enumerated() {
        precondition(a.rank == 4 && a.shape[0] == b && a.shape[2] == t && a.shape[3] == t && a.shape[1] > 0,
                     "attentionRollout: layer \(l) has shape \(a.shape), want [\(b), H, \(t), \(t)]")
    }
    let tt = t * t
    let out = Tensor(uninitializedShape: [b, t, t])
    var rollout = [Double](repeating: 0, count: tt)
    var layer = [Double](repeating: 0, count: tt)
    var product = [Double](repeating: 0, count: tt)
    for bi in 0..<b {
        for (l, a) in layers.enumerated() {
            // Â_l: the head mean plus the identity, rows renormalised.
            let h = a.shape[1]
            let p = a.data + bi * h * tt
            for k in 0..<tt { layer[k] = 0 }
            for hi in 0..<h {
                for k in 0..<tt { layer[k] += Double(p[hi * tt + k]) }
            }
            for i in 0..<t {
                var sum = 0.0
                for j in 0..<t {
                    layer[i * t + j] = layer[i * t + j] / Double(h) + (i == j ? 1 : 0)
                    sum += layer[i * t + j]
                }
                precondition(sum > 0 && sum.isFinite,
                             "attentionRollout: layer \(l), batch \(bi), row \(i) sums to \(sum)")
                for j in 0..<t { layer[i * t + j] /= sum }
            }
            if l == 0 { rollout = layer; continue }
            // R ← Â_l · R: the later layer on the left.
            for i in 0..<t {
                for j in 0..<t {
                    var acc = 0.0
                    for k in 0..<t { acc += layer[i * t + k] * rollout[k * t + j] }
                    product[i * t + j] = acc
                }
            }
            swap(&rollout, &product)
        }
        let o = out.data + bi * tt
        for k in 0..<tt { o[k] = Float(rollout[k]) }
    }
    return out
}

/// The class token's attention over the patch tokens, laid out as the image's patch grid:
/// row 0 of each `[T, T]` matrix without its first column, reshaped to
/// `[gridHeight, gridWidth]`. Token 0 must be the class token and tokens 1… the patches in
/// row-major order (as a ViT builds its sequence), so T = 1 + gridHeight · gridWidth.
///
/// - Parameter attention: `[B, T, T]` (an `attentionRollout`) or `[B, H, T, T]` (one
///   layer's weights, per head).
/// - Returns: `[B, gridHeight, gridWidth]` or `[B, H, gridHeight, gridWidth]`; the values are
///   not renormalised (they sum to 1 minus the class token's share of itself).
public func classTokenAttentionMaps(_ attention: Tensor, gridHeight: Int, gridWidth: Int) -> Tensor {
    let s = attention.shape
    precondition((s.count == 3 || s.count == 4) && s[s.count - 1] == s[s.count - 2],
                 "classTokenAttentionMaps: want [B, T, T] or [B, H, T, T], got \(s)")
    let t = s[s.count - 1], patches = gridHeight * gridWidth
    precondition(gridHeight > 0 && gridWidth > 0 && t == 1 + patches,
                 "classTokenAttentionMaps: \(t) tokens is not 1 class token + \(gridHeight)×\(gridWidth) patches")
    let lead = Array(s.dropLast(2))
    let matrices = lead.reduce(1, *)
    let out = Tensor(uninitializedShape: lead + [gridHeight, gridWidth])
    for m in 0..<matrices {
        (out.data + m * patches).update(from: attention.data + m * t * t + 1, count: patches)
    }
    return out
}
