import Foundation

/// The one training loop every paper uses. It asks the task for each batch's loss,
/// back-propagates, clips, steps the optimizer at the scheduled learning rate, evaluates on
/// the plan's cadence, and tells its callbacks. It stops early, keeping the last good
/// checkpoint, when the loss stops being finite or Ctrl-C is pressed.
public final class Trainer {
    public let task: TrainingTask
    public let optimizer: Optimizer
    public var callbacks: [TrainerCallback]

    /// Completed optimizer steps over the whole run.
    public private(set) var step = 0
    /// The epoch in progress (0-based).
    public private(set) var epoch = 0
    public private(set) var history = MetricsHistory()
    /// Evaluation metrics of the latest evaluation.
    public private(set) var lastEval: [String: Double] = [:]
    /// Examples in the last training batch (for rates).
    public private(set) var lastStepExamples = 0
    /// Why the run stopped, once it has.
    public private(set) var outcome: TrainerOutcome?

    public var plan: TrainingPlan { task.plan }

    public init(task: TrainingTask, callbacks: [TrainerCallback] = []) {
        self.task = task
        self.callbacks = callbacks
        let plan = task.plan
        optimizer = plan.optimizer.make(task.model.namedParameters(),
                                        learningRate: Float(plan.schedule.lr(at: 0)),
                                        decayNormsAndBiases: plan.decayNormsAndBiases)
    }

    /// Restores model, optimizer, random streams and progress from a checkpoint, so that the
    /// run continues as if never stopped.
    public func restore(from c: CheckpointContents) throws {
        try Checkpoint.load(c, into: task.model)
        try optimizer.loadStateDict(OptimizerState(tensors: c.optimizerTensors, scalars: c.optimizerScalars))
        let streams = task.model.namedRandomStates()
        for (name, box) in streams {
            guard let saved = c.rng["model." + name] else {
                throw CheckpointError.mismatch(missing: ["rng/model.\(name)"], unexpected: [], wrongShape: [])
            }
            box.wrappedValue = saved
        }
        step = c.step
        epoch = c.epoch
        lastEval = c.metrics
    }

    /// Replaces the history (when resuming from a run folder's metrics log).
    public func restoreHistory(_ h: MetricsHistory) { history = h }

    /// What a checkpoint of the current state holds.
    public func checkpointContents(metadata: CheckpointMetadata) -> CheckpointContents {
        let opt = optimizer.stateDict()
        var rng: [String: RNG] = [:]
        for (name, box) in task.model.namedRandomStates() { rng["model." + name] = box.wrappedValue }
        return CheckpointContents(tensors: task.model.stateDict(), metadata: metadata,
                                  optimizerTensors: opt.tensors, optimizerScalars: opt.scalars,
                                  rng: rng, step: step, epoch: epoch, metrics: lastEval)
    }

    /// Evaluates in eval mode without gradients, records and announces the metrics.
    @discardableResult
    public func evaluate() throws -> [String: Double] {
        task.model.eval()
        defer { task.model.train() }
        let metrics = try withNoGrad { try task.evaluate() }
        lastEval = metrics
        history.append(.init(split: "eval", step: step, epoch: epoch, metrics: metrics))
        for c in callbacks { try c.evalEnd(self, metrics: metrics) }
        return metrics
    }

    /// Trains from the current step to the end of the plan (or until stopped).
    @discardableResult
    public func run() throws -> TrainerOutcome {
        let plan = task.plan
        let perEpoch = plan.batchesPerEpoch
        precondition(perEpoch > 0, "a plan needs at least one batch per epoch")
        task.model.train()
        for c in callbacks { try c.runStart(self) }
        var pending = IntervalMean()
        epochLoop: while epoch < plan.epochs {
            let firstBatch = step - epoch * perEpoch
            if firstBatch == 0 { for c in callbacks { try c.epochStart(self, epoch: epoch) } }
            for batch in firstBatch..<perEpoch {
                optimizer.learningRate = Float(plan.schedule.lr(at: step))
                let result = try task.trainingLoss(epoch: epoch, batch: batch)
                let loss = Double(result.loss.item())
                guard loss.isFinite else {
                    outcome = .diverged(step: step, loss: loss)
                    break epochLoop
                }
                try result.loss.backward()
                if let clip = plan.clipNorm { clipGradientNorm(task.model.parameters, maxNorm: clip) }
                optimizer.step()
                for p in task.model.parameters { p.zeroGrad() }
                step += 1

                var metrics = result.metrics
                metrics["loss"] = loss
                lastStepExamples = result.examples
                metrics["lr"] = Double(optimizer.learningRate)
                pending.add(metrics)
                for c in callbacks { try c.stepEnd(self, metrics: metrics) }
                if step % Swift.max(plan.logEvery, 1) == 0 || batch == perEpoch - 1 {
                    history.append(.init(split: "train", step: step, epoch: epoch, metrics: pending.mean()))
                    pending = IntervalMean()
                }
                if let every = plan.evalEvery, step % every == 0, batch != perEpoch - 1 {
                    try evaluate()
                }
                if Interrupt.requested {
                    outcome = .interrupted(step: step)
                    // Leave the counters pointing at the next batch: a resume continues there.
                    if batch == perEpoch - 1 { epoch += 1 }
                    break epochLoop
                }
            }
            try evaluate()
            epoch += 1
            for c in callbacks { try c.epochEnd(self, epoch: epoch - 1) }
        }
        let final = outcome ?? .completed
        outcome = final
        for c in callbacks { try c.runEnd(self, outcome: final) }
        return final
    }
}

/// Means of the metrics logged since the last record.
struct IntervalMean {
    private var sums: [String: Double] = [:]
    private var counts: [String: Int] = [:]
    mutating func add(_ m: [String: Double]) {
        for (k, v) in m { sums[k, default: 0] += v; counts[k, default: 0] += 1 }
    }
    func mean() -> [String: Double] {
        var out: [String: Double] = [:]
        for (k, s) in sums { out[k] = s / Double(counts[k]!) }
        return out
    }
}
