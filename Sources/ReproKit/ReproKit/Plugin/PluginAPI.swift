import Foundation

/// The plugin ABI version. A plugin returns the number it was built with from
/// `repro_plugin_abi`; the host refuses any other. Bump it whenever a type or protocol a
/// plugin uses changes: Swift has no library evolution here, so a mismatch is a crash.
public let reproPluginABIVersion: Int32 = 2

/// A paper: its id and the tasks (model + loss + evaluation + drawings) it can build.
///
/// A plugin library exports it with two C symbols:
///
///     @_cdecl("repro_plugin_abi") public func pluginABI() -> Int32 { reproPluginABIVersion }
///     @_cdecl("repro_plugin_entry") public func pluginEntry() -> UnsafeMutableRawPointer {
///         exportPlugin(ResNetPlugin())
///     }
public protocol PaperPlugin: AnyObject {
    /// The id cards name in `plugin = "…"`, e.g. "resnet".
    var id: String { get }
    /// The plugin's own version, recorded in checkpoints and run folders.
    var version: String { get }
    /// What the plugin can build, by task name.
    var tasks: [TaskKind] { get }
}

/// Hands a plugin to the host across the C boundary (a retained, opaque pointer).
public func exportPlugin(_ plugin: PaperPlugin) -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(plugin as AnyObject).toOpaque()
}

/// One kind of experiment a plugin can run, with its typed config and its defaults.
public struct TaskKind {
    public let name: String
    public let summary: String
    /// The config's fields and default values; `--set` and cards are checked against them.
    public let defaults: ConfigDict
    let build: (ConfigDict, RunContext) throws -> TrainingTask

    /// A task whose config is the Codable struct `C`; `defaults` gives every field a value.
    public init<C: Codable>(name: String, summary: String, defaults: C,
                            build: @escaping (C, RunContext) throws -> TrainingTask) {
        self.name = name
        self.summary = summary
        self.defaults = (try? ConfigDict(encoding: defaults)) ?? ConfigDict()
        self.build = { dict, context in try build(try dict.decode(C.self), context) }
    }

    /// Builds the task from a resolved config.
    public func make(_ config: ConfigDict, context: RunContext) throws -> TrainingTask {
        try build(config, context)
    }
}

/// A model with its loss, evaluation and drawings: everything paper-specific that the
/// generic `Trainer` drives.
public protocol TrainingTask: AnyObject {
    /// The model the trainer optimises and checkpoints.
    var model: Module { get }
    /// Epochs, batches, optimizer, schedule, clipping, evaluation cadence.
    var plan: TrainingPlan { get }
    /// The loss on training batch `batch` of `epoch`, and scalar metrics to log with it.
    /// The batch must depend only on (seed, epoch, batch) so that a resumed run draws the
    /// same data as an uninterrupted one (`EpochSampler` does this).
    func trainingLoss(epoch: Int, batch: Int) throws -> StepResult
    /// Metrics on held-out data; called in eval mode without gradients.
    func evaluate() throws -> [String: Double]
    /// Writes the task's drawings into `folder` (at the end of a run); returns their file names.
    func draw(in folder: URL, history: MetricsHistory) throws -> [String]
    /// Metrics of the whole run for `summary.json`, beside the last evaluation's (e.g. steps
    /// to a training-error threshold, the train−test gap); read off the run's log.
    func summaryMetrics(history: MetricsHistory) -> [String: Double]
}

extension TrainingTask {
    public func draw(in folder: URL, history: MetricsHistory) throws -> [String] { [] }
    public func summaryMetrics(history: MetricsHistory) -> [String: Double] { [:] }
}

/// A training step's loss and the scalars logged beside it (e.g. batch accuracy).
public struct StepResult {
    public var loss: Tensor
    public var metrics: [String: Double]
    /// Examples in the batch, for the examples/s rate.
    public var examples: Int
    public init(loss: Tensor, metrics: [String: Double] = [:], examples: Int = 0) {
        self.loss = loss
        self.metrics = metrics
        self.examples = examples
    }
}

/// Which optimizer, with its hyperparameters; the trainer builds it from the model's
/// named parameters.
public enum OptimizerSpec: Codable, Equatable, Sendable {
    case sgd(momentum: Float, weightDecay: Float, nesterov: Bool)
    case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    case adamw(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    case adadelta(rho: Float, epsilon: Float, weightDecay: Float)

    /// Builds the optimizer. With `decayNormsAndBiases: false`, tensors of rank ≤ 1 get no
    /// weight decay.
    public func make(_ named: [(String, Tensor)], learningRate: Float, decayNormsAndBiases: Bool = true) -> Optimizer {
        func groups(_ wd: Float) -> [ParameterGroup] {
            decayNormsAndBiases ? [ParameterGroup(named, weightDecay: wd)]
                : ParameterGroup.decayingWeightsOnly(named, weightDecay: wd)
        }
        switch self {
        case let .sgd(momentum, wd, nesterov):
            return SGD(groups(wd), learningRate: learningRate, momentum: momentum, nesterov: nesterov)
        case let .adam(b1, b2, eps, wd):
            return Adam(groups(wd), learningRate: learningRate, beta1: b1, beta2: b2, epsilon: eps)
        case let .adamw(b1, b2, eps, wd):
            return Adam(groups(wd), learningRate: learningRate, beta1: b1, beta2: b2, epsilon: eps, decoupled: true)
        case let .adadelta(rho, eps, wd):
            return Adadelta(groups(wd), learningRate: learningRate, rho: rho, epsilon: eps)
        }
    }
}

/// How a task is trained.
public struct TrainingPlan {
    public var epochs: Int
    public var batchesPerEpoch: Int
    public var optimizer: OptimizerSpec
    /// The learning rate of each step (0-based, counted over the whole run).
    public var schedule: LRSchedule
    public var decayNormsAndBiases: Bool
    /// Clip the global gradient norm to this, if set.
    public var clipNorm: Float?
    /// Evaluate every this many steps, besides the end of each epoch.
    public var evalEvery: Int?
    /// Log training metrics every this many steps.
    public var logEvery: Int
    /// The evaluation metric that decides `best.h5`, and whether higher is better.
    public var bestMetric: String?
    public var higherIsBetter: Bool

    public init(epochs: Int, batchesPerEpoch: Int, optimizer: OptimizerSpec, schedule: LRSchedule,
                decayNormsAndBiases: Bool = true, clipNorm: Float? = nil, evalEvery: Int? = nil,
                logEvery: Int = 10, bestMetric: String? = nil, higherIsBetter: Bool = true) {
        self.epochs = epochs
        self.batchesPerEpoch = batchesPerEpoch
        self.optimizer = optimizer
        self.schedule = schedule
        self.decayNormsAndBiases = decayNormsAndBiases
        self.clipNorm = clipNorm
        self.evalEvery = evalEvery
        self.logEvery = logEvery
        self.bestMetric = bestMetric
        self.higherIsBetter = higherIsBetter
    }

    public var totalSteps: Int { epochs * batchesPerEpoch }
}

/// What a task is built with: the run's seed and RNG, whether this is a quick run, and
/// where the data is.
public struct RunContext {
    public var seed: UInt64
    /// The run's root RNG; tasks split streams from it (`rng.split(1)` for init, …).
    public var rng: RNG
    public var quick: Bool
    public var threads: Int

    public init(seed: UInt64, quick: Bool = false, threads: Int = Threads.count) {
        self.seed = seed
        self.rng = RNG(seed: seed)
        self.quick = quick
        self.threads = threads
    }
}
