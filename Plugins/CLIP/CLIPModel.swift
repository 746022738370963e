// Learning Transferable Visual Models From Natural Language Supervision.
// Radford et al. ICML 2021. arXiv:2103.00020.
//
// Fig. 3's pseudocode: I_f = image_encoder(I), T_f = text_encoder(T); I_e = l2_normalize(I_f·W_i),
// T_e = l2_normalize(T_f·W_t); logits = I_e·T_eᵀ·exp(t); loss = (CE(logits, rows) +
// CE(logits, columns)) / 2. The encoders are shared ReproKit models (`VisionTransformer`
// without its head, `TextTransformer`), the loss is ReproKit's `ContrastiveLoss`, which holds
// the learned log-scale t (τ = 0.07 at the start, so t = log(1/0.07); exp(t) clipped at 100
// as the paper does).
import Foundation
import ReproKit

/// CLIP's two encoders, their linear projections into the joint space and the temperature.
final class CLIP: Module {
    let visual: VisionTransformer
    /// W_i and W_t of Fig. 3: linear maps without bias, as OpenAI's `proj` / `text_projection`.
    let image_projection: Linear
    let text: TextTransformer
    let text_projection: Linear
    let loss: ContrastiveLoss

    init(image: ViTShape, text textShape: TextTransformerShape, embedDim: Int, rng: inout RNG) {
        visual = VisionTransformer(image, rng: &rng)
        image_projection = Linear(image.width, embedDim, bias: false, rng: &rng)
        text = TextTransformer(textShape, rng: &rng)
        text_projection = Linear(textShape.width, embedDim, bias: false, rng: &rng)
        loss = ContrastiveLoss(initialTemperature: 0.07, maxScale: 100)
        super.init()
    }

    /// I_f·W_i, [B, embedDim] (not normalised).
    func encodeImage(_ x: Tensor) -> Tensor { image_projection(visual.features(x).features) }

    /// T_f·W_t for `<bos> … <eos>` id sequences, [B, embedDim] (not normalised).
    func encodeText(_ sequences: [[Int]]) -> Tensor { text_projection(text.features(sequences)) }

    /// The symmetric loss of a batch of matching pairs.
    func callAsFunction(images: Tensor, texts: [[Int]]) -> Tensor {
        loss(image: encodeImage(images), text: encodeText(texts))
    }

    /// exp(t), clipped: the scale of the cosine similarities in the logits.
    var logitScale: Float { withNoGrad { loss.scale.item() } }
}
