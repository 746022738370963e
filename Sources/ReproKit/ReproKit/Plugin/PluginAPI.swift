import Foundation

/// The plugin ABI version. A plugin returns the number it was built with from
/// `repro_plugin_abi`; the host refuses any other. Bump it whenever a type or protocol a
/// plugin uses changes: Swift has no library evolution here, so a mismatch is a crash.
/// 3: the open training lifecycle (optimizers and steps from a task, hooks, task state,
/// evaluation points, drawings during training).
/// 4: config ranges (`RangedConfig`): `ConfigDict` holds them and `ConfigError` has `outOfRange`.
public let reproPluginABIVersion: Int32 = 4

/// A paper: its id and the tasks (model + loss + evaluation + drawings) it can build.
///
/// A plugin library exports it with two C symbols:
///
///     @_cdecl("repro_plugin_abi") public func reproPluginABI() -> Int32 { reproPluginABIVersion }
///     @_cdecl("repro_plugin_entry") public func reproPluginEntry() -> UnsafeMutableRawPointer {
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
    /// The config's fields and default values, and the ranges its struct declares
    /// (`RangedConfig`); `--set` and cards are checked against them.
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

    /// Builds the task from a resolved config, after checking every value against its
    /// key's range (`RangedConfig`).
    public func make(_ config: ConfigDict, context: RunContext) throws -> TrainingTask {
        if let configProblem { throw configProblem }
        try config.checkRanges()
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
