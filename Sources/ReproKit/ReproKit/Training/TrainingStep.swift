/// One optimizer step as a task sees it: which micro-batches it covers, and the two things a
/// step does — back-propagate a loss, update optimizers. The default step (`standard`) is
/// what almost every task wants; a GAN writes its own:
///
///     func trainingStep(_ s: TrainingStep) throws -> StepResult {
///         try s.backward(discriminatorLoss(…)); s.update("discriminator")
///         try s.backward(generatorLoss(…));     s.update("generator")
///         return StepResult(loss: …, metrics: […])
///     }
public final class TrainingStep {
    /// The epoch in progress (0-based).
    public let epoch: Int
    /// The micro-batches of this step within the epoch (one, without accumulation).
    public let batches: Range<Int>
    /// The step being taken (0-based over the run); `Trainer.step` once it completes.
    public let index: Int
    private let optimizers: [TaskOptimizer]
    private let parameters: [Tensor]
    private let clipNorm: Float?
    /// Whether `backward` ran since the last `update`.
    private(set) var hasPendingGradients = false

    init(epoch: Int, batches: Range<Int>, index: Int, optimizers: [TaskOptimizer], parameters: [Tensor], clipNorm: Float?) {
        self.epoch = epoch; self.batches = batches; self.index = index
        self.optimizers = optimizers; self.parameters = parameters; self.clipNorm = clipNorm
    }

    /// The first micro-batch of the step.
    public var batch: Int { batches.lowerBound }

    /// Back-propagates `loss × scale`, adding to the gradients since the last `update`. A
    /// loss that is not finite stops the run as diverged before any parameter moves with it.
    public func backward(_ loss: Tensor, scale: Float = 1) throws {
        let value = Double(loss.item())
        guard value.isFinite else { throw Diverged(loss: value) }
        hasPendingGradients = true
        try (scale == 1 ? loss : loss * scale).backward()
    }

    /// Steps the optimizer called `name` (every optimizer when nil) with the gradients
    /// accumulated since the last update, clipped to the plan's `clipNorm`, then zeroes
    /// every gradient of the model.
    public func update(_ name: String? = nil) {
        let chosen = name.map { n in optimizers.filter { $0.name == n } } ?? optimizers
        precondition(!chosen.isEmpty, "update: no optimizer '\(name ?? "")' (have: \(optimizers.map(\.name)))")
        for o in chosen {
            if let clip = clipNorm { clipGradientNorm(o.parameters, maxNorm: clip) }
            o.optimizer.step()
        }
        for p in parameters { p.zeroGrad() }
        hasPendingGradients = false
    }

    /// The optimizer called `name`.
    public func optimizer(_ name: String) -> Optimizer? { optimizers.first { $0.name == name }?.optimizer }

    /// The default step: `trainingLoss` of each micro-batch, back-propagated with weight 1/n,
    /// then one update of every optimizer. Logged metrics are the micro-batches' means.
    public func standard(_ task: TrainingTask) throws -> StepResult {
        if batches.count == 1 {
            let r = try task.trainingLoss(epoch: epoch, batch: batch)
            try backward(r.loss)
            update()
            return r
        }
        let scale = 1 / Float(batches.count)
        var sums: [String: Double] = [:]
        var loss = 0.0, examples = 0
        for b in batches {
            let r = try task.trainingLoss(epoch: epoch, batch: b)
            try backward(r.loss, scale: scale)
            loss += Double(r.loss.item()) / Double(batches.count)
            examples += r.examples
            for (k, v) in r.metrics { sums[k, default: 0] += v / Double(batches.count) }
        }
        update()
        return StepResult(loss: Tensor([Float(loss)]), metrics: sums, examples: examples)
    }

    /// A loss that stopped being finite (the trainer turns it into `.diverged`).
    struct Diverged: Error { let loss: Double }
}
