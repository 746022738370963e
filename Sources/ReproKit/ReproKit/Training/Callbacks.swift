/// What the trainer tells its callbacks, in order: runStart, then per epoch epochStart,
/// stepEnd after every optimizer step, evalEnd after each evaluation, epochEnd; runEnd last.
/// Progress, logging and checkpoints are callbacks, not code in each paper.
public protocol TrainerCallback: AnyObject {
    func runStart(_ trainer: Trainer) throws
    func epochStart(_ trainer: Trainer, epoch: Int) throws
    /// After step `trainer.step` (1-based count of completed steps) with its training metrics.
    func stepEnd(_ trainer: Trainer, metrics: [String: Double]) throws
    func evalEnd(_ trainer: Trainer, metrics: [String: Double]) throws
    func epochEnd(_ trainer: Trainer, epoch: Int) throws
    func runEnd(_ trainer: Trainer, outcome: TrainerOutcome) throws
}

extension TrainerCallback {
    public func runStart(_ trainer: Trainer) throws {}
    public func epochStart(_ trainer: Trainer, epoch: Int) throws {}
    public func stepEnd(_ trainer: Trainer, metrics: [String: Double]) throws {}
    public func evalEnd(_ trainer: Trainer, metrics: [String: Double]) throws {}
    public func epochEnd(_ trainer: Trainer, epoch: Int) throws {}
    public func runEnd(_ trainer: Trainer, outcome: TrainerOutcome) throws {}
}

/// How a run ended.
public enum TrainerOutcome: Equatable, Sendable {
    case completed
    /// Ctrl-C: a checkpoint was saved at this step.
    case interrupted(step: Int)
    /// The loss stopped being finite at this step; parameters were not updated with it.
    case diverged(step: Int, loss: Double)
}
