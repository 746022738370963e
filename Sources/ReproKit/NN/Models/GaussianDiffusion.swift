// Denoising Diffusion Probabilistic Models
// Jonathan Ho, Ajay Jain, Pieter Abbeel — arXiv:2006.11239
// and Denoising Diffusion Implicit Models, Jiaming Song, Chenlin Meng, Stefano Ermon — arXiv:2010.02502
//
// The forward process and the two samplers that run it backwards from an ε-prediction. It sits
// beside `UNet` because DDIM (a second paper) and any later diffusion plugin sample the same
// way. Timesteps are indices 0..<T, index i being the paper's t = i + 1 (as the authors' code).
import TensorCore

/// A diffusion's variance schedule β_1…β_T and what follows from it: α_t = 1 − β_t and
/// ᾱ_t = Π_{s≤t} α_s, kept in Double so that a product over 1000 steps loses nothing.
public struct GaussianDiffusion: Sendable {
    public let betas: [Double]
    public let alphasCumprod: [Double]
    public var timesteps: Int { betas.count }

    /// The paper's linear schedule (§4: β from 1e-4 to 0.02 over T = 1000 steps).
    public init(timesteps: Int, betaStart: Double = 1e-4, betaEnd: Double = 0.02) {
        precondition(timesteps >= 1 && 0 < betaStart && betaStart <= betaEnd && betaEnd < 1,
                     "GaussianDiffusion: needs T ≥ 1 and 0 < β_start ≤ β_end < 1")
        let step = timesteps > 1 ? (betaEnd - betaStart) / Double(timesteps - 1) : 0
        betas = (0..<timesteps).map { betaStart + step * Double($0) }
        var product = 1.0
        alphasCumprod = betas.map { product *= 1 - $0; return product }
    }

    /// ᾱ at index t, with ᾱ = 1 before the first step (t = −1: the data itself).
    public func alphaBar(_ t: Int) -> Double { t < 0 ? 1 : alphasCumprod[t] }

    /// Per-image coefficients [B, 1, 1, 1] for broadcasting over NCHW.
    func column(_ values: [Double]) -> Tensor {
        Tensor(values.map(Float.init), shape: [values.count, 1, 1, 1])
    }

    /// x_t ~ q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) (eq. 4), as √ᾱ_t x_0 + √(1 − ᾱ_t) ε with the
    /// given ε; one timestep per image.
    public func qSample(_ x0: Tensor, timesteps t: [Int], noise: Tensor) -> Tensor {
        precondition(t.count == x0.shape[0] && noise.shape == x0.shape, "qSample: one timestep per image, noise as x0")
        return x0 * column(t.map { alphaBar($0).squareRoot() }) + noise * column(t.map { (1 - alphaBar($0)).squareRoot() })
    }

    /// One step of ancestral sampling (Algorithm 2, eq. 11) from index t to s < t: x_s =
    /// (x_t − β/√(1 − ᾱ_t) ε̂)/√α + σ z with α = ᾱ_t/ᾱ_s, β = 1 − α and σ² = β. With s = t − 1
    /// that is the paper's step (α = α_t, β = β_t); with s further back it is Algorithm 2 on the
    /// schedule respaced to the visited steps (Nichol & Dhariwal 2021, §4), so fewer steps can
    /// be compared with DDIM's. `noise` is z, ignored on the step to the data (s = −1). `clip`:
    /// the prediction is first made consistent with an x̂_0 clipped to [−1, 1] (`clipped`).
    public func ancestralStep(_ xt: Tensor, t: Int, to s: Int? = nil, epsilon: Tensor, noise: Tensor,
                              clip: Bool = false) -> Tensor {
        let s = s ?? t - 1
        precondition(s < t, "ancestralStep: goes from t to an earlier s")
        let epsilon = clip ? clipped(xt, t: t, epsilon: epsilon) : epsilon
        let beta = t == s + 1 ? betas[t] : 1 - alphaBar(t) / alphaBar(s)
        let mean = (xt - epsilon * Float(beta / (1 - alphaBar(t)).squareRoot())) * Float(1 / (1 - beta).squareRoot())
        return s < 0 ? mean : mean + noise * Float(beta.squareRoot())
    }

    /// One deterministic DDIM step (Song et al. eq. 12 with η = 0) from index t to s < t
    /// (s = −1: to the data): x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s) ε̂.
    /// `clip` as for `ancestralStep`.
    public func ddimStep(_ xt: Tensor, t: Int, to s: Int, epsilon: Tensor, clip: Bool = false) -> Tensor {
        precondition(s < t, "ddimStep: goes from t to an earlier s")
        let epsilon = clip ? clipped(xt, t: t, epsilon: epsilon) : epsilon
        let at = alphaBar(t), As = alphaBar(s)
        let x0 = (xt - epsilon * Float((1 - at).squareRoot())) * Float(1 / at.squareRoot())
        return x0 * Float(As.squareRoot()) + epsilon * Float((1 - As).squareRoot())
    }

    /// The ε̃ that x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t clipped to the data's [−1, 1] implies:
    /// ε̃ = (x_t − √ᾱ_t clip(x̂_0))/√(1 − ᾱ_t). The authors' sampler clips x̂_0 so (their
    /// `clip_denoised`): at large t, x̂_0 multiplies ε̂'s error by √((1 − ᾱ_t)/ᾱ_t), ~150 at
    /// t = T, and a short-trained network's samples saturate to ±1 noise without it.
    public func clipped(_ xt: Tensor, t: Int, epsilon: Tensor) -> Tensor {
        let at = alphaBar(t)
        let x0 = ((xt - epsilon * Float((1 - at).squareRoot())) * Float(1 / at.squareRoot())).clamp(min: -1, max: 1)
        return (xt - x0 * Float(at.squareRoot())) * Float(1 / (1 - at).squareRoot())
    }

    /// The weight of ‖ε − ε_θ(x_t, t)‖² (per pixel) in the true variational bound at index t, for
    /// the reverse process with fixed σ_t² = β_t (eq. 12): β_t²/(2σ_t² α_t (1 − ᾱ_t)) =
    /// β_t/(2 α_t (1 − ᾱ_t)). At t = 0 the same formula is −log p(x_0 | x_1) of a Gaussian decoder
    /// (the paper's is discretised), up to constants. It is ~50× larger at t = 0 than at T − 1
    /// and smallest in between: the bound spends its weight on the nearly clean steps, which
    /// L_simple (every weight 1) does not favour.
    public func vlbWeight(_ t: Int) -> Double {
        let alpha = 1 - betas[t]
        return betas[t] / (2 * alpha * (1 - alphaBar(t)))
    }

    /// The mean of `vlbWeight` over all T indices: a loss weighted by w_t / mean has L_simple's
    /// scale under uniform t, so Adam's step and a gradient clip see the two losses alike.
    public var meanVLBWeight: Double { (0..<timesteps).map(vlbWeight).reduce(0, +) / Double(timesteps) }

    /// The `steps` indices a strided sampler visits, from the last down: evenly spaced as
    /// DDIM's uniform skip (i·T/steps), so steps = T visits every index.
    public func samplingTimesteps(_ steps: Int) -> [Int] {
        precondition((1...timesteps).contains(steps), "samplingTimesteps: 1…T steps")
        return (0..<steps).map { $0 * timesteps / steps }.reversed()
    }
}
