// The open training lifecycle in one small task: a GAN (Goodfellow et al. 2014, arXiv
// 1406.2661) whose generator learns to put 2-D points on a ring of radius 0.7. It is a test
// fixture, not a reproduction; each part of it is the short example of one plugin API:
//
//   makeOptimizers       two optimizers, each over its own parameter group
//   trainingStep         two losses and two updates in one step
//   afterOptimizerStep   an exponential moving average of the generator's weights
//   saveState/loadState  the EMA weights, the noise stream and a counter in the checkpoint
//   evaluate(at:)        a cheap metric every epoch, an expensive one on a cadence
//   draw(in:at:)         sample scatter plots during training and at the end
import Foundation
import ReproKit

/// Adam's two betas, a nested table of the config (`--set adam.beta1=0.6`). A nested struct
/// declares its own ranges, by its own field names.
struct AdamBetas: Codable, RangedConfig {
    var beta1 = 0.5
    var beta2 = 0.999

    static let ranges: [String: ConfigRange] = ["beta1": .within(0..<1), "beta2": .within(0..<1)]
}

/// The GAN's objective, an enum of the config (`--set loss=lsgan`).
enum GANLoss: String, Codable, CaseIterable {
    /// −log D(x) − log(1 − D(G(z))) for D, −log D(G(z)) for G (the paper's "non-saturating" G).
    case bce
    /// Least squares (Mao et al. 2017): (D(x) − 1)² + D(G(z))², and (D(G(z)) − 1)² for G.
    case lsgan
}

struct TinyGANConfig: Codable, RangedConfig {
    var epochs = 30
    var batch_size = 64
    var lr_generator = 2e-3
    var lr_discriminator = 2e-3
    var adam = AdamBetas()
    var loss = GANLoss.bce
    /// Decay of the generator's weight average, folded in after every step.
    var ema_decay = 0.95
    /// Evaluate the (expensive) ring coverage every this many steps, besides the end (0: end only).
    var coverage_every = 0
    /// Draw samples every this many steps during training (0: only at the end).
    var draw_every = 0
    /// Milliseconds to sleep per step, so that a test can interrupt a run mid-way.
    var slow_ms = 0

    static let ranges: [String: ConfigRange] = [
        "epochs": .atLeast(1), "batch_size": .atLeast(1), "lr_generator": .above(0), "lr_discriminator": .above(0),
        "ema_decay": .within(0..<1), "coverage_every": .atLeast(0), "draw_every": .atLeast(0), "slow_ms": .atLeast(0),
    ]
}

/// noise → 2-D point, and 2-D point → logit of "real".
final class TinyGAN: Module {
    final class MLP: Module {
        let fc1: Linear, drop: Dropout, fc2: Linear
        init(_ inputs: Int, _ hidden: Int, _ outputs: Int, dropout: Float, rng: inout RNG) {
            fc1 = Linear(inputs, hidden, rng: &rng)
            drop = Dropout(dropout, rng: &rng)
            fc2 = Linear(hidden, outputs, rng: &rng)
            super.init()
        }
        override func callAsFunction(_ x: Tensor) -> Tensor { fc2(drop(fc1(x).relu())) }
    }

    static let noiseSize = 4
    let generator: MLP, discriminator: MLP
    init(rng: inout RNG) {
        generator = MLP(TinyGAN.noiseSize, 32, 2, dropout: 0, rng: &rng)
        // Dropout in D: the model's own random stream must survive a resume too.
        discriminator = MLP(2, 32, 1, dropout: 0.1, rng: &rng)
        super.init()
    }
}

final class TinyGANTask: TrainingTask {
    let model: Module
    let plan: TrainingPlan
    let config: TinyGANConfig
    let gan: TinyGAN
    let real: Tensor
    let sampler: EpochSampler
    /// The generator's weight average, and a generator to evaluate it with.
    let ema: ExponentialMovingAverage
    let averaged: TinyGAN.MLP
    /// The task's own random stream: the generator's noise.
    var noise: RNG
    /// EMA updates so far (an integer of the task state: it must equal the step count).
    var emaUpdates = 0

    init(_ c: TinyGANConfig, _ context: RunContext) throws {
        config = c
        var data = RNG(seed: 20_261_207)
        var points: [Float] = []
        for _ in 0..<640 {
            let angle = data.uniform() * 2 * .pi, r = 0.7 + (data.uniform() - 0.5) * 0.1
            points += [r * cos(angle), r * sin(angle)]
        }
        real = Tensor(points, shape: [640, 2])
        var rng = context.rng.split(1)
        gan = TinyGAN(rng: &rng)
        model = gan
        var spare = RNG(seed: 0)
        averaged = TinyGAN.MLP(TinyGAN.noiseSize, 32, 2, dropout: 0, rng: &spare)
        ema = ExponentialMovingAverage(gan.generator, decay: Float(c.ema_decay))
        noise = context.rng.split(2)
        sampler = try EpochSampler(count: 640, batchSize: c.batch_size, rng: context.rng.split(3))
        plan = TrainingPlan(epochs: c.epochs, batchesPerEpoch: sampler.batches,
                            optimizer: .adam(beta1: 0.5, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
                            schedule: .constant(c.lr_generator), drawEvery: c.draw_every > 0 ? c.draw_every : nil,
                            logEvery: 5, bestMetric: "radius_error",
                            metricKinds: ["radius_error": MetricKind(scale: .other, higherIsBetter: false),
                                          "ring_coverage": .accuracy, "d_loss": .loss])
    }

    /// One Adam per network, each over its own parameters.
    func makeOptimizers() throws -> [TaskOptimizer] {
        let spec = OptimizerSpec.adam(beta1: Float(config.adam.beta1), beta2: Float(config.adam.beta2),
                                      epsilon: 1e-8, weightDecay: 0)
        return [TaskOptimizer(name: "discriminator", spec: spec,
                              groups: [ParameterGroup(gan.discriminator.namedParameters())],
                              schedule: .constant(config.lr_discriminator)),
                TaskOptimizer(name: "generator", spec: spec,
                              groups: [ParameterGroup(gan.generator.namedParameters())],
                              schedule: .constant(config.lr_generator))]
    }

    /// The discriminator's loss on logits, against "real" (1) or "fake" (0).
    func discriminatorLoss(_ logits: Tensor, real: Bool) -> Tensor {
        let target = Tensor(shape: logits.shape, repeating: real ? 1 : 0)
        switch config.loss {
        case .bce: return binaryCrossEntropyWithLogits(logits, target)
        case .lsgan: return mseLoss(logits, target)
        }
    }

    /// D: real → 1, G(z) → 0; then G: D(G(z)) → 1 against the updated D.
    func trainingStep(_ s: TrainingStep) throws -> StepResult {
        if config.slow_ms > 0 { usleep(useconds_t(config.slow_ms * 1000)) }
        let idx = sampler.indices(epoch: s.epoch, batch: s.batch)
        let x = Tensor(idx.flatMap { [real[$0, 0], real[$0, 1]] }, shape: [idx.count, 2])
        let fake = gan.generator(Tensor.randn([idx.count, TinyGAN.noiseSize], rng: &noise))

        let dLoss = discriminatorLoss(gan.discriminator(x), real: true)
            + discriminatorLoss(gan.discriminator(fake.detached()), real: false)
        try s.backward(dLoss)
        s.update("discriminator")

        let gLoss = discriminatorLoss(gan.discriminator(fake), real: true)
        try s.backward(gLoss)
        s.update("generator")
        return StepResult(loss: gLoss, metrics: ["d_loss": Double(dLoss.item())], examples: idx.count)
    }

    func afterOptimizerStep(step: Int) throws {
        ema.update()
        emaUpdates += 1
    }

    func saveState() -> TaskState {
        var state = TaskState(integers: ["ema_updates": emaUpdates], rng: ["noise": noise])
        state.add(ema.shadow, prefix: "ema")
        return state
    }

    func loadState(_ state: TaskState) throws {
        state.copy(prefix: "ema", into: ema.shadow)
        noise = state.rng["noise"]!
        emaUpdates = state.integers["ema_updates"]!
    }

    /// Samples of the averaged generator from a fixed noise (not the training stream).
    func samples(_ n: Int) -> Tensor {
        ema.copy(into: averaged)
        var fixed = RNG(seed: 7)
        return averaged(Tensor.randn([n, TinyGAN.noiseSize], rng: &fixed))
    }

    /// radius_error: |mean radius − 0.7| of 512 samples, every evaluation. ring_coverage: the
    /// share of 16 angular sectors holding ≥ 2% of 4096 samples, on its cadence only.
    func evaluate(at point: RunPoint) throws -> [String: Double] {
        let s = samples(512).scalars
        var radius = 0.0
        for i in 0..<512 { radius += Double((s[2 * i] * s[2 * i] + s[2 * i + 1] * s[2 * i + 1]).squareRoot()) }
        var metrics = ["radius_error": abs(radius / 512 - 0.7)]
        if point.every(config.coverage_every) {
            let many = samples(4096).scalars
            var sectors = [Int](repeating: 0, count: 16)
            for i in 0..<4096 {
                let a = atan2(Double(many[2 * i + 1]), Double(many[2 * i])) + .pi
                sectors[Swift.min(15, Int(a / (2 * .pi) * 16))] += 1
            }
            metrics["ring_coverage"] = Double(sectors.filter { $0 >= 82 }.count) / 16
        }
        return metrics
    }

    /// A 2-D histogram of 4096 samples over [-1, 1]², as `samples.png` (and by step).
    func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String] {
        let s = samples(4096).scalars, n = 32
        var counts = [Float](repeating: 0, count: n * n)
        for i in 0..<4096 {
            let col = Int((s[2 * i] + 1) / 2 * Float(n)), row = Int((1 - s[2 * i + 1]) / 2 * Float(n))
            if (0..<n).contains(row), (0..<n).contains(col) { counts[row * n + col] += 1 }
        }
        let name = point.fileName("samples")
        let map = try Heatmap(Tensor(counts, shape: [n, n]), title: "Generator samples at step \(point.step)",
                              xLabel: "x₁ from -1 to 1", yLabel: "x₂ from 1 to -1", cellSize: 8)
        try map.canvas.write(to: folder.appendingPathComponent(name).path)
        return [name]
    }
}
