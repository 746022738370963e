import Foundation

/// Which optimizer, with its hyperparameters; `TaskOptimizer(spec:…)` builds it.
public enum OptimizerSpec: Codable, Equatable, Sendable {
    /// SGD with (heavy-ball or Nesterov) momentum and L2 weight decay; momentum 0 is plain SGD.
    case sgd(momentum: Float, weightDecay: Float, nesterov: Bool)
    /// Adam with L2 weight decay added to the gradient (PyTorch's `Adam(weight_decay:)`).
    case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    /// Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's `AdamW`.
    case adamw(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    /// Adadelta (Zeiler 2012; Bahdanau et al. use ρ 0.95, ε 1e-6).
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
