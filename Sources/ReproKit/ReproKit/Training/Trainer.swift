import Foundation

/// The one training loop every paper uses. Each step it sets every optimizer's scheduled
/// learning rate, lets the task take the step (`trainingStep`: by default the batch's loss,
/// back-propagated, clipped, every optimizer stepped), runs the task's after-step hook,
/// evaluates on the plan's cadence and tells its callbacks. It stops early, keeping the last
/// good checkpoint, when a loss stops being finite or Ctrl-C is pressed.
public final class Trainer {
    public let task: TrainingTask
    /// The task's optimizers, in its order.
    public let optimizers: [TaskOptimizer]
    /// The built-in callbacks given here, then the task's own.
    public var callbacks: [TrainerCallback]

    /// Completed optimizer steps over the whole run.
    public private(set) var step = 0
    /// The epoch in progress (0-based).
    public private(set) var epoch = 0
    public private(set) var history = MetricsHistory()
    /// Evaluation metrics of the latest evaluation.
    public private(set) var lastEval: [String: Double] = [:]
    /// Examples in the last training step (for rates).
    public private(set) var lastStepExamples = 0
    /// Training examples per second of this session's steps (forward, backward, update;
    /// evaluations and checkpoints excluded), nil before the first step.
    public var trainingThroughput: Double? {
        stepSeconds > 0 ? Double(stepExamples) / stepSeconds : nil
    }
    private var stepSeconds = 0.0, stepExamples = 0
    /// Why the run stopped, once it has.
    public private(set) var outcome: TrainerOutcome?

    public var plan: TrainingPlan { task.plan }
    /// The model's parameters, listed once (reflection over the module tree is not free).
    private let parameters: [Tensor]
    /// The training metrics since the last logged record; saved in checkpoints, so that the
    /// record after a resume averages the same steps as in an uninterrupted run.
    private var window = IntervalMean()

    public init(task: TrainingTask, callbacks: [TrainerCallback] = []) throws {
        self.task = task
        self.callbacks = callbacks + task.callbacks
        parameters = task.model.parameters
        optimizers = try task.makeOptimizers()
        guard !optimizers.isEmpty else { throw ConfigError.invalid("\(type(of: task)).makeOptimizers() gave no optimizer") }
        let names = optimizers.map(\.name)
        guard Set(names).count == names.count, names.allSatisfy({ !$0.isEmpty && !$0.contains(".") && !$0.contains("/") }) else {
            throw ConfigError.invalid("optimizer names must be distinct, non-empty, without '.' or '/': \(names)")
        }
        // A parameter no optimizer moves is frozen: it needs no gradient.
        let moved = Set(optimizers.flatMap { $0.parameters.map(ObjectIdentifier.init) })
        for p in parameters where !moved.contains(ObjectIdentifier(p)) { p.requiresGrad = false }
    }

    /// Where the run is now, for `evaluate(at:)` and `draw(at:)`.
    public func point(final: Bool = false) -> RunPoint {
        RunPoint(step: step, epoch: epoch, totalSteps: plan.totalSteps, isFinal: final)
    }

    // MARK: Checkpoints

    /// Restores model, optimizers, task state, random streams and progress from a
    /// checkpoint, so that the run continues as if never stopped.
    public func restore(from c: CheckpointContents, path: String = "the checkpoint") throws {
        guard fitsThePlan(step: c.step, epoch: c.epoch) else {
            throw CheckpointError.malformed(path: path, problem: "its progress (step \(c.step) in epoch \(c.epoch)) "
                + "is not a point of this run's plan (\(plan.epochs) epochs of \(plan.stepsPerEpoch) steps)")
        }
        // A checkpoint of NaNs would train on silently: the NaN guard only sees losses.
        // (Parameters and optimizer state only: a buffer may hold -inf by design, a mask.)
        let parameterNames = Set(task.model.namedParameters().map(\.0))
        let stored = c.tensors.filter { parameterNames.contains($0.0) }
            + c.optimizerTensors.sorted { $0.key < $1.key }.map { ("optimizer/" + $0.key, $0.value) }
        if let (name, _) = stored.first(where: { !$0.1.scalars.allSatisfy(\.isFinite) }) {
            throw CheckpointError.malformed(path: path, problem: "\(name) holds NaN or infinite values")
        }
        // Optimizers read their scalars as counts (Adam's step: NaN trapped in Int(_:)); a
        // metric restored as NaN failed the summary after the whole resumed run.
        let scalars = c.optimizerScalars.map { ("optimizer/@" + $0.key, $0.value) }
            + c.metrics.map { ("progress/@" + $0.key, $0.value) }
        if let (name, _) = scalars.sorted(by: { $0.0 < $1.0 }).first(where: { !$0.1.isFinite }) {
            throw CheckpointError.malformed(path: path, problem: "\(name) is NaN or infinite")
        }
        // The open log interval: a sum and a count for each metric, at most one interval long.
        let longest = Swift.max(plan.logEvery, 1)
        if Set(c.logWindowSums.keys) != Set(c.logWindowCounts.keys)
            || !c.logWindowCounts.values.allSatisfy({ $0 >= 1 && $0 <= longest })
            || !c.logWindowSums.values.allSatisfy(\.isFinite) {
            throw CheckpointError.malformed(path: path, problem: "progress/window_sums and window_counts are not the sums "
                + "and counts (1 to \(longest)) of the same metrics")
        }
        try Checkpoint.load(c, into: task.model)
        for o in optimizers {
            do {
                try o.optimizer.loadStateDict(optimizerState(of: o.name, in: c))
            } catch let e as InvalidOptimizerState {
                throw CheckpointError.malformed(path: path, problem: e.description)
            }
        }
        let streams = task.model.namedRandomStates()
        let missing = streams.map { "model." + $0.0 }.filter { c.rng[$0] == nil }
        if !missing.isEmpty { throw CheckpointError.mismatch(missing: missing.map { "rng/" + $0 }, unexpected: [], wrongShape: []) }
        let mine = task.saveState()
        var saved = c.task
        saved.rng = c.rng.filter { $0.key.hasPrefix("task.") }
            .reduce(into: [:]) { $0[String($1.key.dropFirst(5))] = $1.value }
        try mine.checkFits(saved)
        for (name, box) in streams { box.wrappedValue = c.rng["model." + name]! }
        try task.loadState(saved)
        step = c.step
        epoch = c.epoch
        lastEval = c.metrics
        window = IntervalMean(sums: c.logWindowSums, counts: c.logWindowCounts)
    }

    /// Whether a saved (step, epoch) is a point this plan reaches: within epoch `epoch`'s
    /// steps, its last included (an evaluation's `best.h5` is written before the epoch count
    /// moves on), or the end of the run. The training loop starts epoch `epoch` at
    /// `step - epoch × stepsPerEpoch`; any other pair is a range trap there.
    func fitsThePlan(step: Int, epoch: Int) -> Bool {
        guard epoch >= 0, epoch <= plan.epochs else { return false }
        let first = epoch * plan.stepsPerEpoch
        return step >= first && step <= Swift.min(first + plan.stepsPerEpoch, plan.totalSteps)
    }

    /// Replaces the history (when resuming from a run folder's metrics log).
    public func restoreHistory(_ h: MetricsHistory) { history = h }

    /// What a checkpoint of the current state holds.
    public func checkpointContents(metadata: CheckpointMetadata) -> CheckpointContents {
        var tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]
        // A task's only optimizer keeps the plain names; several are told apart by prefix.
        let prefixed = optimizers.count > 1
        for o in optimizers {
            let s = o.optimizer.stateDict()
            for (k, v) in s.tensors { tensors[prefixed ? "\(o.name).\(k)" : k] = v }
            for (k, v) in s.scalars { scalars[prefixed ? "\(o.name).\(k)" : k] = v }
        }
        var rng: [String: RNG] = [:]
        for (name, box) in task.model.namedRandomStates() { rng["model." + name] = box.wrappedValue }
        var state = task.saveState()
        for (name, r) in state.rng { rng["task." + name] = r }
        state.rng = [:]
        var contents = CheckpointContents(tensors: task.model.stateDict(), metadata: metadata,
                                          optimizerTensors: tensors, optimizerScalars: scalars,
                                          rng: rng, task: state, step: step, epoch: epoch, metrics: lastEval)
        contents.logWindowSums = window.sums
        contents.logWindowCounts = window.counts
        return contents
    }

    private func optimizerState(of name: String, in c: CheckpointContents) -> OptimizerState {
        guard optimizers.count > 1 else { return OptimizerState(tensors: c.optimizerTensors, scalars: c.optimizerScalars) }
        func strip<V>(_ d: [String: V]) -> [String: V] {
            d.reduce(into: [:]) { out, kv in
                if kv.key.hasPrefix(name + ".") { out[String(kv.key.dropFirst(name.count + 1))] = kv.value }
            }
        }
        return OptimizerState(tensors: strip(c.optimizerTensors), scalars: strip(c.optimizerScalars))
    }

    // MARK: Training

    /// Whether epoch `epoch` (0-based) ends with an evaluation: every `plan.evalEveryEpochs`-th
    /// one, and always the last.
    func evaluatesAtEnd(_ epoch: Int) -> Bool {
        epoch == plan.epochs - 1 || (epoch + 1) % Swift.max(plan.evalEveryEpochs, 1) == 0
    }

    /// Evaluates in eval mode without gradients, records and announces the metrics.
    @discardableResult
    public func evaluate(final: Bool = false) throws -> [String: Double] {
        let at = point(final: final)
        let metrics = try inEvalMode { try task.evaluate(at: at) }
        lastEval = metrics
        history.append(.init(split: "eval", step: step, epoch: epoch, metrics: metrics))
        for c in callbacks { try c.evalEnd(self, metrics: metrics) }
        return metrics
    }

    /// Calls the task's `draw` into `folder` in eval mode without gradients; the file names.
    public func draw(in folder: URL, final: Bool) throws -> [String] {
        let at = point(final: final)
        return try inEvalMode { try task.draw(in: folder, at: at, history: history) }
    }

    /// `body` with the model in eval mode and no gradients recorded.
    private func inEvalMode<T>(_ body: () throws -> T) throws -> T {
        task.model.eval()
        defer { task.model.train() }
        return try withNoGrad(body)
    }

    /// Takes step `index` of epoch `epoch` (0-based within the epoch): scheduled learning
    /// rates, the task's step, the after-step hook. Returns the step's metrics with "loss"
    /// and "lr"; throws `TrainingStep.Diverged` for a loss that is not finite.
    public func takeStep(epoch: Int, index: Int) throws -> (metrics: [String: Double], examples: Int) {
        let k = Swift.max(plan.accumulation, 1)
        let first = index * k
        let batches = first..<Swift.min(first + k, plan.batchesPerEpoch)
        let global = epoch * plan.stepsPerEpoch + index
        for o in optimizers { o.optimizer.learningRate = Float(o.schedule.lr(at: global)) }
        let s = TrainingStep(epoch: epoch, batches: batches, index: global, optimizers: optimizers,
                             parameters: parameters, clipNorm: plan.clipNorm)
        let result = try task.trainingStep(s)
        // Gradients a step back-propagated but never used in an update are not carried into
        // the next step (every `update` already zeroes them).
        if s.hasPendingGradients { for p in parameters { p.zeroGrad() } }
        try task.afterOptimizerStep(step: global + 1)
        var metrics = result.metrics
        metrics["loss"] = Double(result.loss.item())
        metrics["lr"] = Double(optimizers[0].optimizer.learningRate)
        for o in optimizers.dropFirst() { metrics["lr_\(o.name)"] = Double(o.optimizer.learningRate) }
        return (metrics, result.examples)
    }

    /// Trains from the current step to the end of the plan (or until stopped).
    @discardableResult
    public func run() throws -> TrainerOutcome {
        let plan = task.plan
        let perEpoch = plan.stepsPerEpoch
        guard perEpoch > 0 else { throw ConfigError.invalid("the plan has no batch per epoch (is the data set smaller than one batch?)") }
        task.model.train()
        for c in callbacks { try c.runStart(self) }
        epochLoop: while epoch < plan.epochs {
            let firstStep = step - epoch * perEpoch
            if firstStep == 0 { for c in callbacks { try c.epochStart(self, epoch: epoch) } }
            for index in firstStep..<perEpoch {
                let taken: (metrics: [String: Double], examples: Int)
                let started = DispatchTime.now().uptimeNanoseconds
                do {
                    taken = try takeStep(epoch: epoch, index: index)
                } catch let d as TrainingStep.Diverged {
                    for p in parameters { p.zeroGrad() }
                    outcome = .diverged(step: step, loss: d.loss)
                    break epochLoop
                }
                step += 1
                lastStepExamples = taken.examples
                stepSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
                stepExamples += taken.examples
                window.add(taken.metrics)
                for c in callbacks { try c.stepEnd(self, metrics: taken.metrics) }
                let lastOfEpoch = index == perEpoch - 1
                if step % Swift.max(plan.logEvery, 1) == 0 || lastOfEpoch {
                    history.append(.init(split: "train", step: step, epoch: epoch, metrics: window.mean()))
                    window = IntervalMean()
                }
                // The last step of an epoch that evaluates at its end is evaluated there.
                if let every = plan.evalEvery, every > 0, step % every == 0, !lastOfEpoch || !evaluatesAtEnd(epoch) {
                    try evaluate()
                }
                // Ctrl-C on an epoch's last step waits for the epoch's evaluation below: a
                // resume starts at the next epoch and would never run it (on the last epoch, the
                // run's final evaluation and drawings).
                if Interrupt.requested && !lastOfEpoch {
                    // Leave the counters pointing at the next batch: a resume continues there.
                    outcome = .interrupted(step: step)
                    break epochLoop
                }
            }
            if evaluatesAtEnd(epoch) { try evaluate(final: epoch == plan.epochs - 1) }
            epoch += 1
            for c in callbacks { try c.epochEnd(self, epoch: epoch - 1) }
            if Interrupt.requested && epoch < plan.epochs {
                outcome = .interrupted(step: step)
                break epochLoop
            }
        }
        let final = outcome ?? .completed
        outcome = final
        for c in callbacks { try c.runEnd(self, outcome: final) }
        return final
    }
}

/// Means of the metrics logged since the last record.
struct IntervalMean {
    private(set) var sums: [String: Double] = [:]
    private(set) var counts: [String: Int] = [:]
    init(sums: [String: Double] = [:], counts: [String: Int] = [:]) { self.sums = sums; self.counts = counts }
    mutating func add(_ m: [String: Double]) {
        for (k, v) in m { sums[k, default: 0] += v; counts[k, default: 0] += 1 }
    }
    func mean() -> [String: Double] {
        var out: [String: Double] = [:]
        for (k, s) in sums { out[k] = s / Double(counts[k]!) }
        return out
    }
}
