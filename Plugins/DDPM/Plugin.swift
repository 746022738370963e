// Denoising Diffusion Probabilistic Models
// Jonathan Ho, Ajay Jain, Pieter Abbeel — NeurIPS 2020, arXiv:2006.11239
//
// The config and the exports. The ε-network (`UNet`) and the schedule with its samplers
// (`GaussianDiffusion`) live in ReproKit's NN; the task that trains and samples them is
// DiffusionTask.swift.
import ReproKit

/// `diffuse`: a DDPM on an image data set. A card's `config` and `--set` override these
/// defaults (the paper's CIFAR-10 recipe where it fits a CPU), within `ranges`.
struct DDPMConfig: Codable, RangedConfig {
    /// See `ImageDatasets.names`; pixels are scaled to [−1, 1] (§4).
    var dataset = "fashion-mnist"
    /// Pad the images with black (−1) to this side (0: as they are); the U-Net halves the side
    /// once per level, so 28×28 Fashion-MNIST goes to 32×32 as CIFAR.
    var pad_to = 32
    /// T, and the linear β schedule from beta_start to beta_end (§4: 1000, 1e-4, 0.02).
    var timesteps = 1000
    var beta_start = 1e-4
    var beta_end = 0.02
    /// The U-Net (the paper's CIFAR-10 model: 128, [1, 2, 2, 2], 2 blocks, attention at 16, dropout 0.1).
    var base_channels = 32
    var channel_mult = [1, 2, 2]
    var res_blocks = 1
    var attention_resolutions = [8]
    var dropout = 0.1
    var groups = 8
    /// "simple": L_simple (eq. 14, every t weighted alike); "vlb": the true bound's weighting of
    /// the same ε error (eq. 12, σ_t² = β_t, Gaussian decoder at t = 1), scaled to L_simple's
    /// mean weight — Table 2's "L, fixed isotropic Σ" row, up to that constant factor.
    var loss = "simple"
    var epochs = 2
    var batch_size = 64
    /// Adam 2e-4 (App. B) after a linear warm-up of this many steps (the authors' code: 5000).
    var lr = 2e-4
    var warmup = 500
    /// The global gradient norm is clipped at this (the authors' code: 1); 0: off.
    var clip_norm = 1.0
    /// Decay of the EMA of the weights that evaluation and sampling use (the paper: 0.9999,
    /// an average over ~10k of its 800k steps; a short run needs a shorter one).
    var ema_decay = 0.9999
    /// Warm the EMA up: the k-th update decays by min(ema_decay, (1 + k)/(10 + k)) (TensorFlow's
    /// rule), so that samples of a short run are not drawn mostly from its initial weights.
    var ema_warmup = true
    /// "ddim" (Song et al. 2021, η = 0) or "ancestral" (Algorithm 2: over all T when
    /// sample_steps = T, else on the β schedule respaced to the visited steps), each over
    /// `sample_steps` evenly strided steps.
    var sampler = "ddim"
    var sample_steps = 50
    /// Clip each step's predicted x̂_0 to [−1, 1] while sampling, as the authors' code does.
    var clip_denoised = true
    /// Samples scored at the end by the fixed Fashion-MNIST classifier (`SampleQuality`): FID on
    /// its features against the 10k test images, its mean confidence, the top class's share
    /// (0: no scoring; Fashion-MNIST only). FID grows as N shrinks: compare runs at equal N.
    var quality_samples = 1000
    /// At the end, FID of quality_samples samples by each sampler at each of these step counts
    /// (metrics fid_ddim_N and fid_ancestral_N, and fid-by-steps.png): how few steps each
    /// sampler can take (Song et al. 2021, Table 1). Empty: none.
    var steps_sweep: [Int] = []
    /// The fixed test images whose mean L_simple is the `test_loss` metric (each at a fixed
    /// timestep with fixed noise, the same in every run).
    var eval_images = 512
    /// Evaluate every this many steps as well as each epoch's end (0: epoch ends only).
    var eval_every = 0
    /// Draw the 8×8 sample grid every this many steps as well as at the end (0: the end only).
    var draw_every = 0
    /// Use only the first N training images (0: all); quick runs use this.
    var train_subset = 0
    /// Milliseconds to sleep per step, so that a test can interrupt a run mid-way.
    var slow_ms = 0

    static let ranges: [String: ConfigRange] = [
        "dataset": .oneOf(ImageDatasets.names), "pad_to": .atLeast(0), "timesteps": .atLeast(2),
        "beta_start": .within(1e-8...0.5), "beta_end": .within(1e-8...0.5), "base_channels": .atLeast(1),
        "channel_mult": .atLeast(1), "res_blocks": .atLeast(1), "attention_resolutions": .atLeast(1),
        "dropout": .within(0..<1), "groups": .atLeast(1), "epochs": .atLeast(1), "batch_size": .atLeast(1),
        "lr": .above(0), "warmup": .atLeast(0), "clip_norm": .atLeast(0), "ema_decay": .within(0..<1),
        "sampler": .oneOf(["ddim", "ancestral"]), "loss": .oneOf(["simple", "vlb"]), "sample_steps": .atLeast(1), "eval_images": .atLeast(1), "quality_samples": .atLeast(0), "steps_sweep": .atLeast(1),
        "eval_every": .atLeast(0), "draw_every": .atLeast(0), "train_subset": .atLeast(0), "slow_ms": .atLeast(0),
    ]
}

final class DDPMPlugin: PaperPlugin {
    let id = "ddpm"
    let version = "0.1"

    var tasks: [TaskKind] {
        [TaskKind(name: "diffuse", summary: "a DDPM (ε-prediction, L_simple, EMA; DDIM or ancestral sampling) on an image data set",
                  defaults: DDPMConfig()) { config, context in try DiffusionTask(config, context) }]
    }
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(DDPMPlugin()) }
