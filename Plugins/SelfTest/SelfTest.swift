// A test fixture, not a paper: the smallest complete plugin. The command-line tests drive it
// through list, run, resume and verify (it trains in a second or two), and it can make its
// own loss NaN or slow itself down so that the NaN guard and Ctrl-C can be tested from
// outside. Its card is Tests/Fixtures/Papers/selftest.toml, out of users' sight.
//
// Two tasks, each the short example of part of the plugin API: `rings` (SelfTest.swift) is
// the plain case — a model, a loss, an evaluation, a drawing; `gan` (TinyGAN.swift) is the
// open lifecycle — two optimizers, its own training step, an after-step hook (EMA), task
// state in checkpoints, an expensive metric kept to a cadence, drawings during training.
import Foundation
import ReproKit

/// The task's config; the card and `--set` override these, within `ranges`.
struct SelfTestConfig: Codable, RangedConfig {
    var epochs = 12
    var batch_size = 32
    var lr = 0.05
    /// Width of both hidden layers.
    var hidden = 32
    /// From this 0-based step on the loss is NaN (0: never), to test the NaN guard.
    var poison_at_step = 0
    /// Milliseconds to sleep per step, so that a test can interrupt a run mid-way.
    var slow_ms = 0

    static let ranges: [String: ConfigRange] = [
        "epochs": .atLeast(1), "batch_size": .atLeast(1), "lr": .above(0), "hidden": .atLeast(1),
        "poison_at_step": .atLeast(0), "slow_ms": .atLeast(0),
    ]
}

final class SelfTestPlugin: PaperPlugin {
    let id = "selftest"
    let version = "1.0"

    var tasks: [TaskKind] {
        [TaskKind(name: "rings", summary: "a tiny MLP with dropout on three synthetic rings in 2-D",
                  defaults: SelfTestConfig()) { config, context in try SelfTestTask(config, context) },
         TaskKind(name: "gan", summary: "a tiny GAN on a 2-D ring: two optimizers, an EMA generator, its own noise stream",
                  defaults: TinyGANConfig()) { config, context in try TinyGANTask(config, context) }]
    }
}

/// Three classes of points in [-1, 1]²: inside radius 0.45, the ring out to 0.8, and the
/// rest. Not linearly separable, so a wide MLP clearly beats a 2-unit one.
struct Rings {
    let x: Tensor
    let y: [Int]

    /// The data never depends on the run's seed: every run sees the same problem.
    init(count: Int, stream: UInt64) {
        var rng = RNG(seed: 20_240_601).split(stream)
        var xs: [Float] = [], ys: [Int] = []
        for _ in 0..<count {
            let a = rng.uniform() * 2 - 1, b = rng.uniform() * 2 - 1
            let r = (a * a + b * b).squareRoot()
            xs += [a, b]
            ys.append(r < 0.45 ? 0 : (r < 0.8 ? 1 : 2))
        }
        x = Tensor(xs, shape: [count, 2])
        y = ys
    }
}

final class MLP: Module {
    let fc1: Linear, drop: Dropout, fc2: Linear, out: Linear
    init(hidden: Int, rng: inout RNG) {
        fc1 = Linear(2, hidden, rng: &rng)
        drop = Dropout(0.1, rng: &rng)
        fc2 = Linear(hidden, hidden, rng: &rng)
        out = Linear(hidden, 3, rng: &rng)
        super.init()
    }
    override func callAsFunction(_ x: Tensor) -> Tensor { out(fc2(drop(fc1(x).relu())).relu()) }
}

final class SelfTestTask: TrainingTask {
    let model: Module
    let plan: TrainingPlan
    let config: SelfTestConfig
    let train: Rings, test: Rings
    let sampler: EpochSampler

    init(_ c: SelfTestConfig, _ context: RunContext) throws {
        config = c
        train = Rings(count: 640, stream: 1)
        test = Rings(count: 400, stream: 2)
        var rng = context.rng.split(1)
        model = MLP(hidden: c.hidden, rng: &rng)
        sampler = try EpochSampler(count: 640, batchSize: c.batch_size, rng: context.rng.split(2))
        let total = c.epochs * sampler.batches
        plan = TrainingPlan(epochs: c.epochs, batchesPerEpoch: sampler.batches,
                            optimizer: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
                            schedule: .cosine(c.lr, total: total, minimum: 0),
                            logEvery: 5, bestMetric: "test_accuracy")
    }

    var datasets: [DatasetDescription] {
        [DatasetDescription(name: "rings-2d", split: "train", count: 640, example: "points in [-1, 1]², 3 classes"),
         DatasetDescription(name: "rings-2d", split: "test", count: 400, example: "points in [-1, 1]², 3 classes")]
    }

    func trainingLoss(epoch: Int, batch: Int) throws -> StepResult {
        if config.slow_ms > 0 { usleep(useconds_t(config.slow_ms * 1000)) }
        let idx = sampler.indices(epoch: epoch, batch: batch)
        let xb = Tensor(idx.flatMap { [train.x[$0, 0], train.x[$0, 1]] }, shape: [idx.count, 2])
        let yb = idx.map { train.y[$0] }
        let logits = model(xb)
        var loss = crossEntropy(logits, targets: yb)
        let step = epoch * plan.batchesPerEpoch + batch
        if config.poison_at_step > 0 && step >= config.poison_at_step { loss = loss * Float.nan }
        let correct = zip(logits.argmax(axis: -1), yb).filter { $0 == $1 }.count
        return StepResult(loss: loss, metrics: ["train_accuracy": Double(correct) / Double(idx.count)],
                          examples: idx.count)
    }

    func evaluate(at point: RunPoint) throws -> [String: Double] {
        let logits = model(test.x)
        let correct = zip(logits.argmax(axis: -1), test.y).filter { $0 == $1 }.count
        return ["test_accuracy": Double(correct) / Double(test.y.count),
                "test_loss": Double(crossEntropy(logits, targets: test.y).item())]
    }

    /// The decision regions: the predicted class over a 48×48 grid of [-1, 1]².
    func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String] {
        let n = 48
        var points: [Float] = []
        for i in 0..<n {
            for j in 0..<n {
                // Row 0 is the top (y = 1).
                points += [Float(j) / Float(n - 1) * 2 - 1, 1 - Float(i) / Float(n - 1) * 2]
            }
        }
        let classes = model(Tensor(points, shape: [n * n, 2])).argmax(axis: -1)
        let map = try Heatmap(Tensor(classes.map(Float.init), shape: [n, n]),
                              title: "Decision regions (predicted class)", xLabel: "x₁ from -1 to 1",
                              yLabel: "x₂ from 1 to -1", range: 0...2, cellSize: 5)
        try map.canvas.write(to: folder.appendingPathComponent("regions.png").path)
        return ["regions.png"]
    }
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(SelfTestPlugin()) }

// The probes OneCopyTests uses: objects made on this side of the dlopen boundary, to check
// that host and plugin share one ReproKit (one `Tensor` type, one buffer pool).

/// A retained Tensor made inside the plugin.
@_cdecl("repro_probe_make_tensor")
public func reproProbeMakeTensor() -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(Tensor([1, 2, 3]) as AnyObject).toOpaque()
}

/// The plugin's view of the process-wide buffer pool (unretained: it lives forever).
@_cdecl("repro_probe_buffer_pool")
public func reproProbeBufferPool() -> UnsafeMutableRawPointer {
    Unmanaged.passUnretained(BufferPool.shared).toOpaque()
}
