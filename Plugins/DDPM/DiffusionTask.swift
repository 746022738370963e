// Denoising Diffusion Probabilistic Models
// Jonathan Ho, Ajay Jain, Pieter Abbeel — NeurIPS 2020, arXiv:2006.11239
//
// Training (Algorithm 1: x_0 from the data, t ~ Uniform{1…T}, ε ~ N(0, I), a step on
// ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖², eq. 14's L_simple), an EMA of the weights that
// evaluation and sampling use, the fixed-set test L_simple, and the sample grid.
import Foundation
import ReproKit

final class DiffusionTask: TrainingTask {
    let model: Module
    let plan: TrainingPlan
    let config: DDPMConfig
    let unet: UNet
    let diffusion: GaussianDiffusion
    /// The bound's mean weight over t (`loss = "vlb"`), computed once.
    let vlbMeanWeight: Double
    let train: LabeledImages
    let sampler: EpochSampler
    /// The weights' average, and a U-Net that evaluation and sampling copy it into.
    let ema: ExponentialMovingAverage
    let averaged: UNet
    /// The task's own stream: each step's timesteps and noise.
    var noise: RNG
    /// The fixed evaluation set: x_t of test images at fixed t with the ε that made them.
    let evalX: Tensor, evalT: [Int], evalEpsilon: Tensor
    /// The fixed classifier that scores samples (nil when quality_samples is 0).
    let quality: SampleQuality?
    /// FID by sampler and step count (`steps_sweep`), from the last evaluation, for its figure.
    var sweep: [(sampler: String, steps: Int, fid: Double)] = []
    /// The fixed set's L_simple at initialisation, so a run shows how far it fell.
    var initialTestLoss = 0.0

    /// Noise of the evaluation set and of the drawn samples: fixed, not the run's seed, so
    /// that every run is scored on the same numbers and draws from the same x_T.
    static let evalSeed: UInt64 = 2_006_11239, sampleSeed: UInt64 = 7, qualitySeed: UInt64 = 11

    init(_ c: DDPMConfig, _ context: RunContext) throws {
        config = c
        let (train, test) = try ImageDatasets.load(c.dataset, trainSubset: c.train_subset, rng: context.rng.split(3))
        guard train.height == train.width else { throw ConfigError.invalid("DDPM here needs square images") }
        guard c.pad_to == 0 || c.pad_to >= train.height else {
            throw ConfigError.invalid("pad_to \(c.pad_to) is smaller than the \(train.height)×\(train.width) images")
        }
        guard c.beta_start <= c.beta_end else {
            throw ConfigError.invalid("beta_start \(c.beta_start) is above beta_end \(c.beta_end)")
        }
        for steps in [c.sample_steps] + c.steps_sweep where steps > c.timesteps {
            throw ConfigError.invalid("\(steps) sampling steps exceed timesteps \(c.timesteps)")
        }
        guard c.steps_sweep.isEmpty || c.quality_samples > 0 else {
            throw ConfigError.invalid("steps_sweep scores samples: it needs quality_samples above 0")
        }
        guard c.eval_images <= test.count else {
            throw ConfigError.invalid("eval_images \(c.eval_images) exceeds the \(test.count) test images")
        }
        guard c.quality_samples == 0 || c.dataset == "fashion-mnist" else {
            throw ConfigError.invalid("the sample classifier knows Fashion-MNIST only; set quality_samples=0 for \(c.dataset)")
        }
        guard c.quality_samples != 1 else { throw ConfigError.invalid("quality_samples must be 0 or at least 2 (FID needs a covariance)") }
        quality = c.quality_samples > 0 ? try SampleQuality.shared() : nil
        self.train = train
        let side = c.pad_to == 0 ? train.height : c.pad_to
        let shape = UNetConfig(imageChannels: train.channels, imageSize: side, baseChannels: c.base_channels,
                               channelMultipliers: c.channel_mult, resBlocks: c.res_blocks,
                               attentionResolutions: c.attention_resolutions, dropout: Float(c.dropout), groups: c.groups)
        if let problem = shape.problem { throw ConfigError.invalid("U-Net: \(problem)") }
        var rng = context.rng.split(1)
        unet = UNet(shape, rng: &rng)
        model = unet
        var spare = RNG(seed: 0)
        averaged = UNet(shape, rng: &spare)
        ema = ExponentialMovingAverage(unet, decay: Float(c.ema_decay))
        diffusion = GaussianDiffusion(timesteps: c.timesteps, betaStart: c.beta_start, betaEnd: c.beta_end)
        vlbMeanWeight = diffusion.meanVLBWeight
        noise = context.rng.split(2)
        sampler = try EpochSampler(count: train.count, batchSize: c.batch_size, rng: context.rng.split(4))

        var fixed = RNG(seed: Self.evalSeed)
        let x0 = Self.images(test, Array(0..<c.eval_images), side: side)
        evalT = (0..<c.eval_images).map { _ in fixed.int(below: c.timesteps) }
        evalEpsilon = Tensor.randn(x0.shape, rng: &fixed)
        evalX = diffusion.qSample(x0, timesteps: evalT, noise: evalEpsilon)

        let total = c.epochs * sampler.batches
        plan = TrainingPlan(epochs: c.epochs, batchesPerEpoch: sampler.batches, optimizer: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
                            schedule: .linearWarmup(steps: min(c.warmup, total), then: .constant(c.lr)),
                            clipNorm: c.clip_norm > 0 ? Float(c.clip_norm) : nil,
                            evalEvery: c.eval_every > 0 ? c.eval_every : nil,
                            drawEvery: c.draw_every > 0 ? c.draw_every : nil, logEvery: 10, bestMetric: "ema_test_loss",
                            metricKinds: SampleQualityReport.metricKinds)
        initialTestLoss = withNoGrad { unet.eval(); defer { unet.train() }; return testLoss(unet) }
    }

    var datasets: [DatasetDescription] { [train.datasetDescription] }

    /// Images `indices` scaled to [−1, 1] and padded with −1 (black) to `side`.
    static func images(_ set: LabeledImages, _ indices: [Int], side: Int) -> Tensor {
        let x = set.batch(indices: indices, mean: [0.5], std: [0.5]).x
        let before = (side - set.height) / 2, after = side - set.height - before
        guard before + after > 0 else { return x }
        return x.padded([(0, 0), (0, 0), (before, after), (before, after)], value: -1)
    }

    /// Algorithm 1 on one batch: L_simple = ‖ε − ε_θ(x_t, t)‖² averaged over pixels and images, or
    /// with `loss = "vlb"` each image's error weighted as the variational bound weighs its t.
    func trainingLoss(epoch: Int, batch: Int) throws -> StepResult {
        if config.slow_ms > 0 { usleep(useconds_t(config.slow_ms * 1000)) }
        let idx = sampler.indices(epoch: epoch, batch: batch)
        let x0 = Self.images(train, idx, side: unet.config.imageSize)
        let t = idx.map { _ in noise.int(below: config.timesteps) }
        let epsilon = Tensor.randn(x0.shape, rng: &noise)
        let prediction = unet(diffusion.qSample(x0, timesteps: t, noise: epsilon), timesteps: t)
        guard config.loss == "vlb" else { return StepResult(loss: mseLoss(prediction, epsilon), examples: idx.count) }
        // The bound: each image's mean squared ε error weighted by w_t / mean w.
        let error = prediction - epsilon
        let weights = Tensor(t.map { Float(diffusion.vlbWeight($0) / vlbMeanWeight) }, shape: [t.count])
        return StepResult(loss: ((error * error).mean(axes: [1, 2, 3]) * weights).mean(), examples: idx.count)
    }

    /// θ̄ ← d·θ̄ + (1 − d)·θ after every optimizer step (d warmed up unless ema_warmup is off).
    func afterOptimizerStep(step: Int) throws {
        if config.ema_warmup { ema.update(step: step) } else { ema.update() }
    }

    func saveState() -> TaskState {
        var state = TaskState(rng: ["noise": noise])
        state.add(ema.shadow, prefix: "ema")
        return state
    }

    func loadState(_ state: TaskState) throws {
        state.copy(prefix: "ema", into: ema.shadow)
        guard let n = state.rng["noise"] else { throw ConfigError.invalid("checkpoint lacks the DDPM noise stream") }
        noise = n
    }

    /// The mean L_simple of `net` on the fixed evaluation set (no gradients, eval mode by the caller).
    func testLoss(_ net: UNet) -> Double {
        let n = evalT.count, chunk = 128
        var total = 0.0
        for start in stride(from: 0, to: n, by: chunk) {
            let end = min(start + chunk, n)
            let x = evalX.slice(axis: 0, start..<end), e = evalEpsilon.slice(axis: 0, start..<end)
            total += Double(mseLoss(net(x, timesteps: Array(evalT[start..<end])), e).item()) * Double(end - start)
        }
        return total / Double(n)
    }

    /// The EMA weights in `averaged`, in eval mode (no dropout).
    func averagedNetwork() -> UNet {
        ema.copy(into: averaged)
        averaged.eval()
        return averaged
    }

    /// The test L_simple of the weights and of their average; at the end also the classifier's
    /// verdict on `quality_samples` samples (a fixed x_T stream, as the grid's).
    func evaluate(at point: RunPoint) throws -> [String: Double] {
        var metrics = ["test_loss": testLoss(unet), "ema_test_loss": testLoss(averagedNetwork())]
        if point.isFinal, let quality {
            let report = quality.score(samples(config.quality_samples, seed: Self.qualitySeed).images)
            for (k, v) in report.metrics { metrics[k] = v }
            for (k, v) in try scoreSamplingSteps(quality, known: report.fid) { metrics[k] = v }
        }
        return metrics
    }

    func summaryMetrics(history: MetricsHistory) -> [String: Double] { ["init_test_loss": initialTestLoss] }

    /// What the configured sampler does, in words: "DDIM 50 steps", "ancestral 1000 steps".
    var samplerName: String { "\(config.sampler == "ddim" ? "DDIM" : "ancestral") \(config.sample_steps) steps" }

    /// n samples of the EMA network from x_T drawn from the stream `seed`, by the configured
    /// sampler over `sample_steps` strided steps: DDIM (η = 0), or ancestral (Algorithm 2; on a
    /// respaced schedule below T steps), its z from the same stream. `snapshots` states of the
    /// first `keep` samples are kept along the way, x_T first and x_0 last (the trajectory).
    func samples(_ n: Int, seed: UInt64 = DiffusionTask.sampleSeed, keep: Int = 0, snapshots: Int = 10,
                 sampler: String? = nil, steps: Int? = nil) -> (images: Tensor, trajectory: [Tensor]) {
        let net = averagedNetwork(), side = unet.config.imageSize, channels = unet.config.imageChannels
        let ddim = (sampler ?? config.sampler) == "ddim"
        let ts = diffusion.samplingTimesteps(steps ?? config.sample_steps)
        // The states (0 = x_T … ts.count = x_0) the trajectory shows, evenly spaced.
        let columns = min(snapshots, ts.count + 1)
        let shown = Set((0..<columns).map { $0 * ts.count / max(columns - 1, 1) })
        var rng = RNG(seed: seed)
        var chunks: [Tensor] = [], trajectory: [Tensor] = []
        // Chunks bound the memory of a thousand samples; the stream runs on from one to the next.
        for start in stride(from: 0, to: n, by: 256) {
            let m = min(256, n - start)
            var x = Tensor.randn([m, channels, side, side], rng: &rng)
            withNoGrad {
                for (i, t) in ts.enumerated() {
                    if start == 0 && keep > 0 && shown.contains(i) { trajectory.append(x.slice(axis: 0, 0..<min(keep, m))) }
                    let epsilon = net(x, timesteps: Array(repeating: t, count: m))
                    let s = i + 1 < ts.count ? ts[i + 1] : -1
                    let clip = config.clip_denoised
                    x = ddim
                        ? diffusion.ddimStep(x, t: t, to: s, epsilon: epsilon, clip: clip)
                        : diffusion.ancestralStep(x, t: t, to: s, epsilon: epsilon, noise: Tensor.randn(x.shape, rng: &rng), clip: clip)
                }
            }
            if start == 0 && keep > 0 { trajectory.append(x.slice(axis: 0, 0..<min(keep, m))) }
            chunks.append(x)
        }
        return (chunks.count == 1 ? chunks[0] : Tensor.concat(chunks, axis: 0), trajectory)
    }

    /// The 8×8 grid of 64 samples and, for its first 8, the strip x_T → x_0 (the paper's Figure 6
    /// style: one row per sample, 10 states left to right, fewer if the sampler has fewer).
    func drawSamples(prefix: String, seed: UInt64, count: Int, in folder: URL, title: String,
                     strip: Bool = true) throws -> [String] {
        let (images, trajectory) = samples(count, seed: seed, keep: strip ? min(count, 8) : 0)
        // Each tile captioned with what the fixed classifier takes it for, when there is one.
        let labels = quality.map { q in q.predictedClasses(images).map { q.classNames[$0] } }
        let grid = try imageGrid(images, columns: min(count, 8), scale: 2, labels: labels, normalize: .range(-1, 1), title: title)
        let gridName = prefix + ".png", stripName = prefix.replacingOccurrences(of: "samples", with: "trajectory") + ".png"
        try grid.write(to: folder.appendingPathComponent(gridName).path)
        guard strip else { return [gridName] }
        // Row r of the strip is sample r's states: interleave the snapshots sample by sample.
        let rows = trajectory[0].shape[0], columns = trajectory.count
        let strip = Tensor.stack(trajectory, axis: 1).reshaped([rows * columns] + Array(trajectory[0].shape.dropFirst()))
        let picture = try imageGrid(strip, columns: columns, scale: 2, normalize: .range(-1, 1),
                                    title: "x_T → x_0, \(samplerName): one sample per row")
        try picture.write(to: folder.appendingPathComponent(stripName).path)
        return [gridName, stripName]
    }

    /// 64 samples from the fixed x_T as an 8×8 grid, `samples.png` at the end and by step
    /// during training (the same x_T each time, so the grids show one picture sharpening), and
    /// their first 8 as the strip x_T → x_0 at the end.
    func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String] {
        let name = point.fileName("samples")
        let title = "EMA samples at step \(point.step) (\(samplerName))"
        let drawn = try drawSamples(prefix: String(name.dropLast(4)), seed: Self.sampleSeed, count: 64, in: folder,
                                    title: title, strip: point.isFinal)
        return drawn + (point.isFinal ? try drawSamplingSteps(in: folder) : [])
    }
}

extension DiffusionTask: SamplingTask {
    /// `repro sample RUN --n N --seed S`: samples-sS-nN.png and trajectory-sS-nN.png.
    func drawSamples(count: Int, seed: UInt64, in folder: URL) throws -> [String] {
        try drawSamples(prefix: "samples-s\(seed)-n\(count)", seed: seed, count: count, in: folder,
                        title: "\(count) EMA samples, seed \(seed) (\(samplerName))")
    }
}
