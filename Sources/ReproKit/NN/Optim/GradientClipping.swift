/// Scales all gradients so their global L2 norm is at most `maxNorm` (torch's
/// clip_grad_norm_: factor maxNorm / (norm + 1e-6), only when it is below 1).
/// Returns the norm before clipping, which is worth logging.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total: Double = 0
    for p in parameters { if let g = p.grad { total += Double(Kernels.dot(g.data, g.data, g.count)) } }
    let norm = Float(total.squareRoot())
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        for p in parameters {
            if let g = p.grad { Kernels.scaleShift(g.data, factor, 0, g.data, g.count) }
        }
    }
    return norm
}
