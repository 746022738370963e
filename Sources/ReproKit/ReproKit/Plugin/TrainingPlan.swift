import Foundation

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
    /// Evaluate at the end of every this many epochs (and always after the last): a run of
    /// many short epochs (a small data set) need not evaluate after each.
    public var evalEveryEpochs: Int
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
                evalEvery: Int? = nil, evalEveryEpochs: Int = 1, drawEvery: Int? = nil, logEvery: Int = 10,
                bestMetric: String? = nil, metricKinds: [String: MetricKind] = [:]) {
        self.epochs = epochs
        self.batchesPerEpoch = batchesPerEpoch
        self.optimizer = optimizer
        self.schedule = schedule
        self.decayNormsAndBiases = decayNormsAndBiases
        self.clipNorm = clipNorm
        self.accumulation = accumulation
        self.evalEvery = evalEvery
        self.evalEveryEpochs = Swift.max(evalEveryEpochs, 1)
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
