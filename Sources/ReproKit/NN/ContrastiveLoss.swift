import Foundation

/// CLIP's symmetric contrastive loss (Radford et al., arXiv:2103.00020, Fig. 3): with L2-
/// normalised image and text embeddings I, T of N matching pairs,
///   logits = exp(t) · I·Tᵀ,   loss = ½ (CE(logits, [0…N−1]) + CE(logitsᵀ, [0…N−1])),
/// where the temperature t is learned, starts at log(1/0.07) and is clipped so that
/// exp(t) ≤ 100, as in the paper.
public final class ContrastiveLoss: Module {
    @Parameter public var logit_scale: Tensor
    public let maxScale: Float

    public init(initialTemperature: Float = 0.07, maxScale: Float = 100) {
        logit_scale = Tensor(scalar: Foundation.log(1 / initialTemperature))
        self.maxScale = maxScale
        super.init()
    }

    /// The loss for a batch of matching (image, text) embedding pairs, [N, D] each.
    public func callAsFunction(image: Tensor, text: Tensor) -> Tensor {
        contrastiveLoss(image: image, text: text, scale: scale)
    }

    /// exp(t), clipped at `maxScale`: what multiplies the cosine similarities. The paper clips
    /// the parameter in place after each step; clamping here is the same on the forward pass
    /// and stops the gradient past the limit.
    public var scale: Tensor { logit_scale.clamp(max: Foundation.log(maxScale)).exp() }
}

/// The symmetric InfoNCE loss of matching rows of `image` and `text` ([N, D]) with the
/// scalar tensor `scale` multiplying the cosine similarities.
public func contrastiveLoss(image: Tensor, text: Tensor, scale: Tensor) -> Tensor {
    precondition(image.shape == text.shape && image.rank == 2,
                 "contrastiveLoss: image \(image.shape) and text \(text.shape) must both be [N, D]")
    let i = l2Normalized(image), t = l2Normalized(text)
    let logits = i.matmul(t, transposeB: true) * scale
    let targets = Array(0..<image.shape[0])
    return (crossEntropy(logits, targets: targets) + crossEntropy(logits.transposed(0, 1), targets: targets)) * 0.5
}

/// Rows scaled to unit L2 norm (ε guards a zero row).
public func l2Normalized(_ x: Tensor, eps: Float = 1e-12) -> Tensor {
    x / ((x * x).sum(axis: -1, keepDims: true) + eps).sqrt()
}
