import Foundation

/// The plugin ABI version. A plugin returns the number it was built with from
/// `repro_plugin_abi`; the host refuses any other. Bump it whenever a type or protocol a
/// plugin uses changes: Swift has no library evolution here, so a mismatch is a crash.
/// 3: the open training lifecycle (optimizers and steps from a task, hooks, task state,
/// evaluation points, drawings during training).
public let reproPluginABIVersion: Int32 = 3

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
    /// Why the config struct cannot be a config (a field of a type `--set` cannot express),
    /// named by field; such a task is listed but refuses to run.
    public let configProblem: ConfigError?
    let build: (ConfigDict, RunContext) throws -> TrainingTask

    /// A task whose config is the Codable struct `C`; `defaults` gives every field a value.
    public init<C: Codable>(name: String, summary: String, defaults: C,
                            build: @escaping (C, RunContext) throws -> TrainingTask) {
        self.name = name
        self.summary = summary
        do {
            self.defaults = try ConfigDict(encoding: defaults)
            configProblem = nil
        } catch {
            self.defaults = ConfigDict()
            configProblem = error as? ConfigError ?? .invalid("\(error)")
        }
        self.build = { dict, context in try build(try dict.decode(C.self), context) }
    }

    /// Builds the task from a resolved config.
    public func make(_ config: ConfigDict, context: RunContext) throws -> TrainingTask {
        if let configProblem { throw configProblem }
        return try build(config, context)
    }
}

/// A model with its loss, evaluation and drawings: everything paper-specific that the
/// generic `Trainer` drives.
///
/// The plain case implements `model`, `plan`, `trainingLoss` and `evaluate`; everything else
/// has a default. A task with several optimizers (a GAN), parameter groups or frozen
/// parameters overrides `makeOptimizers`; one with several losses per step overrides
/// `trainingStep`; one with state beyond the model (EMA weights, a vocabulary, its own
/// random stream) overrides `saveState`/`loadState`.
public protocol TrainingTask: AnyObject {
    /// The model the trainer optimises and checkpoints.
    var model: Module { get }
    /// Epochs, batches, optimizer, schedule, clipping, accumulation, evaluation cadence.
    var plan: TrainingPlan { get }

    /// The loss on training batch `batch` of `epoch`, and scalar metrics to log with it.
    /// The batch must depend only on (seed, epoch, batch) so that a resumed run draws the
    /// same data as an uninterrupted one (`EpochSampler` does this).
    func trainingLoss(epoch: Int, batch: Int) throws -> StepResult
    /// One optimizer step: by default `step.standard(self)`, which back-propagates
    /// `trainingLoss` over the step's micro-batches and updates every optimizer. Override it
    /// for several losses and optimizers in one step (`step.backward`, `step.update`).
    func trainingStep(_ step: TrainingStep) throws -> StepResult
    /// The optimizers, each over its own parameters; by default one, `plan.optimizer` over
    /// every parameter of the model. Parameters no optimizer holds are frozen.
    func makeOptimizers() throws -> [TaskOptimizer]
    /// Runs after every optimizer step (an EMA of the weights, say); `step` counts the steps
    /// completed so far.
    func afterOptimizerStep(step: Int) throws
    /// Callbacks the task adds to the built-in ones (progress, metrics log, checkpoints,
    /// drawings); they are told after those.
    var callbacks: [TrainerCallback] { get }
    /// The data sets it trains and evaluates on (`Dataset.datasetDescription`), recorded in
    /// the run folder's config.json and report.
    var datasets: [DatasetDescription] { get }

    /// Metrics on held-out data; called in eval mode without gradients at the end of every
    /// epoch and every `plan.evalEvery` steps. `point` says where: keep expensive metrics
    /// to `point.isFinal` or `point.every(n)`.
    func evaluate(at point: RunPoint) throws -> [String: Double]
    /// Writes the task's drawings into `folder` and returns their file names: at the end of
    /// a completed run (`point.isFinal`), and every `plan.drawEvery` steps during training
    /// (name those by step: `point.fileName("samples")`).
    func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String]
    /// Metrics of the whole run for `summary.json`, beside the last evaluation's (e.g. steps
    /// to a training-error threshold, the train−test gap); read off the run's log.
    func summaryMetrics(history: MetricsHistory) -> [String: Double]

    /// State beyond the model and the optimizers that a resumed run needs (EMA weights, a
    /// vocabulary, the task's own random streams); saved in every checkpoint's `task/` group.
    func saveState() -> TaskState
    /// Restores what `saveState` gave. The trainer has already checked that the checkpoint
    /// holds exactly the names and tensor shapes that `saveState` gives now.
    func loadState(_ state: TaskState) throws
}

extension TrainingTask {
    public func trainingLoss(epoch: Int, batch: Int) throws -> StepResult {
        throw ConfigError.invalid("\(type(of: self)) implements neither trainingLoss nor trainingStep")
    }
    public func trainingStep(_ step: TrainingStep) throws -> StepResult { try step.standard(self) }
    public func makeOptimizers() throws -> [TaskOptimizer] {
        [TaskOptimizer(spec: plan.optimizer, model: model, schedule: plan.schedule,
                       decayNormsAndBiases: plan.decayNormsAndBiases)]
    }
    public func afterOptimizerStep(step: Int) throws {}
    public var callbacks: [TrainerCallback] { [] }
    public var datasets: [DatasetDescription] { [] }
    public func draw(in folder: URL, at point: RunPoint, history: MetricsHistory) throws -> [String] { [] }
    public func summaryMetrics(history: MetricsHistory) -> [String: Double] { [:] }
    public func saveState() -> TaskState { TaskState() }
    public func loadState(_ state: TaskState) throws {}
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

/// Where in a run an evaluation or a drawing happens.
public struct RunPoint: Equatable, Sendable {
    /// Optimizer steps completed.
    public var step: Int
    /// The epoch in progress (0-based).
    public var epoch: Int
    /// Steps of the whole plan.
    public var totalSteps: Int
    /// The last evaluation (or drawing) of a run that trained to the end of its plan.
    public var isFinal: Bool

    public init(step: Int, epoch: Int, totalSteps: Int, isFinal: Bool) {
        self.step = step; self.epoch = epoch; self.totalSteps = totalSteps; self.isFinal = isFinal
    }

    /// True at the final point and at every `n`-th step (nil or 0: the final point only):
    /// the cadence of an expensive metric, e.g. `if point.every(config.bleu_every) { … }`.
    public func every(_ n: Int?) -> Bool {
        isFinal || (n.map { $0 > 0 && step % $0 == 0 } ?? false)
    }

    /// `stem.ext` at the final point, `stem-step000500.ext` during training.
    public func fileName(_ stem: String, ext: String = "png") -> String {
        isFinal ? "\(stem).\(ext)" : String(format: "%@-step%06d.%@", stem, step, ext)
    }
}

/// Which optimizer, with its hyperparameters; `TaskOptimizer(spec:…)` builds it.
public enum OptimizerSpec: Codable, Equatable, Sendable {
    case sgd(momentum: Float, weightDecay: Float, nesterov: Bool)
    case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    case adamw(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    case adadelta(rho: Float, epsilon: Float, weightDecay: Float)

    /// The spec's weight decay, for groups that do not set their own.
    public var weightDecay: Float {
        switch self {
        case let .sgd(_, wd, _), let .adam(_, _, _, wd), let .adamw(_, _, _, wd), let .adadelta(_, _, wd): return wd
        }
    }

    /// Builds the optimizer over `groups` (each with its weight decay and learning-rate scale).
    public func make(groups: [ParameterGroup], learningRate: Float) -> Optimizer {
        switch self {
        case let .sgd(momentum, _, nesterov):
            return SGD(groups, learningRate: learningRate, momentum: momentum, nesterov: nesterov)
        case let .adam(b1, b2, eps, _):
            return Adam(groups, learningRate: learningRate, beta1: b1, beta2: b2, epsilon: eps)
        case let .adamw(b1, b2, eps, _):
            return Adam(groups, learningRate: learningRate, beta1: b1, beta2: b2, epsilon: eps, decoupled: true)
        case let .adadelta(rho, eps, _):
            return Adadelta(groups, learningRate: learningRate, rho: rho, epsilon: eps)
        }
    }

    /// Builds the optimizer over every named tensor with the spec's weight decay. With
    /// `decayNormsAndBiases: false`, tensors of rank ≤ 1 get no weight decay.
    public func make(_ named: [(String, Tensor)], learningRate: Float, decayNormsAndBiases: Bool = true) -> Optimizer {
        make(groups: decayNormsAndBiases ? [ParameterGroup(named, weightDecay: weightDecay)]
                : ParameterGroup.decayingWeightsOnly(named, weightDecay: weightDecay),
             learningRate: learningRate)
    }
}

/// One optimizer of a task: its name (in checkpoints and logs), the update rule, its
/// learning-rate schedule and the parameters it moves.
public struct TaskOptimizer {
    /// "optimizer" for a task's only one; e.g. "generator" and "discriminator" for a GAN.
    public let name: String
    public let optimizer: Optimizer
    /// The base learning rate of each step; a group's `learningRateScale` multiplies it.
    public let schedule: LRSchedule
    /// The tensors it updates (for clipping, and to know which parameters are frozen).
    public let parameters: [Tensor]

    public init(name: String = "optimizer", _ optimizer: Optimizer, schedule: LRSchedule, parameters: [Tensor]) {
        self.name = name
        self.optimizer = optimizer
        self.schedule = schedule
        self.parameters = parameters
    }

    /// `spec` over parameter groups: per-group weight decay and learning-rate scale; leave a
    /// parameter out of every group to freeze it.
    public init(name: String = "optimizer", spec: OptimizerSpec, groups: [ParameterGroup], schedule: LRSchedule) {
        self.init(name: name, spec.make(groups: groups, learningRate: Float(schedule.lr(at: 0))),
                  schedule: schedule, parameters: groups.flatMap { $0.parameters.map(\.tensor) })
    }

    /// `spec` over every parameter of `model`, decaying all of them or only weights of rank > 1.
    public init(name: String = "optimizer", spec: OptimizerSpec, model: Module, schedule: LRSchedule,
                decayNormsAndBiases: Bool = true) {
        let named = model.namedParameters()
        self.init(name: name, spec: spec,
                  groups: decayNormsAndBiases ? [ParameterGroup(named, weightDecay: spec.weightDecay)]
                    : ParameterGroup.decayingWeightsOnly(named, weightDecay: spec.weightDecay),
                  schedule: schedule)
    }
}

/// How a task is trained.
public struct TrainingPlan {
    public var epochs: Int
    /// Batches (micro-batches, with accumulation) per epoch.
    public var batchesPerEpoch: Int
    /// The optimizer of the default `makeOptimizers`.
    public var optimizer: OptimizerSpec
    /// The learning rate of each optimizer step (0-based, counted over the whole run), for
    /// the default `makeOptimizers`.
    public var schedule: LRSchedule
    public var decayNormsAndBiases: Bool
    /// Clip the global gradient norm of each optimizer's parameters to this, if set.
    public var clipNorm: Float?
    /// Micro-batches whose gradients are summed (each loss scaled by 1/n) before one optimizer
    /// step: a batch n× larger than memory holds.
    public var accumulation: Int
    /// Evaluate every this many steps, besides the end of each epoch.
    public var evalEvery: Int?
    /// Call the task's `draw` every this many steps during training, besides the end.
    public var drawEvery: Int?
    /// Log training metrics every this many steps.
    public var logEvery: Int
    /// The evaluation metric that decides `best.h5` (in its kind's direction).
    public var bestMetric: String?
    /// The scale and direction of metrics whose names do not say them
    /// (`MetricKind.inferred(from:)` knows `…accuracy`, `…error`, `…loss`, `bleu`, `fid`, …):
    /// they decide the panels of `curves.png` and which checkpoint is best.
    public var metricKinds: [String: MetricKind]

    public init(epochs: Int, batchesPerEpoch: Int, optimizer: OptimizerSpec, schedule: LRSchedule,
                decayNormsAndBiases: Bool = true, clipNorm: Float? = nil, accumulation: Int = 1,
                evalEvery: Int? = nil, drawEvery: Int? = nil, logEvery: Int = 10,
                bestMetric: String? = nil, metricKinds: [String: MetricKind] = [:]) {
        self.epochs = epochs
        self.batchesPerEpoch = batchesPerEpoch
        self.optimizer = optimizer
        self.schedule = schedule
        self.decayNormsAndBiases = decayNormsAndBiases
        self.clipNorm = clipNorm
        self.accumulation = accumulation
        self.evalEvery = evalEvery
        self.drawEvery = drawEvery
        self.logEvery = logEvery
        self.bestMetric = bestMetric
        self.metricKinds = metricKinds
    }

    /// The kind of metric `name`: declared in `metricKinds`, else inferred from the name.
    public func kind(of name: String) -> MetricKind { MetricKind.of(name, declared: metricKinds) }

    /// Optimizer steps per epoch: the last one takes the micro-batches that are left.
    public var stepsPerEpoch: Int { (batchesPerEpoch + Swift.max(accumulation, 1) - 1) / Swift.max(accumulation, 1) }
    public var totalSteps: Int { epochs * stepsPerEpoch }
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
