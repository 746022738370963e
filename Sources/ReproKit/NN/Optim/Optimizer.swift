/// Optimizers update parameters in place from their `.grad`, PyTorch's update rules exactly
/// (the golden tests compare against torch.optim step by step).
///
/// State lives in named tensors (`"momentum.<param name>"`) and scalars (`"step"`), so a
/// checkpoint saves and restores it exactly and a resumed run continues bit-identically.
public protocol Optimizer: AnyObject {
    /// The base learning rate; a schedule sets it every step.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// The optimizer's state, by name.
    func stateDict() -> OptimizerState
    /// Restores state saved by `stateDict()`; throws on a missing or mis-shaped entry.
    func loadStateDict(_ state: OptimizerState) throws
}

/// An optimizer's state: per-parameter tensors and scalar counters.
public struct OptimizerState {
    public var tensors: [String: Tensor]
    public var scalars: [String: Double]
    public init(tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
        self.tensors = tensors
        self.scalars = scalars
    }
}

/// An optimizer state that does not fit its parameters, found when a checkpoint loads.
public enum OptimizerError: Error, CustomStringConvertible {
    case missingState(String)
    case shapeMismatch(String, expected: [Int], got: [Int])
    public var description: String {
        switch self {
        case .missingState(let name):
            return "optimizer state '\(name)' is missing from the checkpoint; was it written by another optimizer?"
        case .shapeMismatch(let name, let expected, let got):
            return "optimizer state '\(name)' has shape \(got), the parameter needs \(expected)"
        }
    }
}

/// A saved scalar an optimizer cannot take (Adam's step count of 1e300, -7 or 2.5): said
/// instead of trapping in a conversion, or training on with a bias correction that makes no
/// sense. A struct of its own, not a case of `OptimizerError`, so that enum keeps its layout.
public struct InvalidOptimizerState: Error, CustomStringConvertible, Equatable {
    public let name: String
    public let value: Double
    /// What the value must be: "a whole number ≥ 0".
    public let needs: String

    public init(name: String, value: Double, needs: String) {
        self.name = name
        self.value = value
        self.needs = needs
    }

    public var description: String { "optimizer state '\(name)' is \(value), not \(needs)" }
}

/// Parameters that share a weight decay and a learning-rate multiplier.
public struct ParameterGroup {
    public var parameters: [(name: String, tensor: Tensor)]
    public var weightDecay: Float
    public var learningRateScale: Float

    /// A tensor listed twice (tied weights under two names) is kept once, at its first name,
    /// so that a step updates it once, as torch.optim does with `model.parameters()`.
    public init(_ parameters: [(String, Tensor)], weightDecay: Float = 0, learningRateScale: Float = 1) {
        self.parameters = splitAliases(parameters).unique.map { (name: $0.0, tensor: $0.1) }
        self.weightDecay = weightDecay
        self.learningRateScale = learningRateScale
    }

    /// Two groups: weight decay on matrices and kernels, none on biases and normalisation
    /// scales (tensors of rank ≤ 1) — the usual practice for AdamW and ViT-style training.
    public static func decayingWeightsOnly(_ named: [(String, Tensor)], weightDecay: Float) -> [ParameterGroup] {
        [ParameterGroup(named.filter { $0.1.rank > 1 }, weightDecay: weightDecay),
         ParameterGroup(named.filter { $0.1.rank <= 1 }, weightDecay: 0)]
    }
}

/// Per-parameter state tensors, created lazily at the first step like PyTorch's.
struct SlotStore {
    var slots: [String: Tensor] = [:]

    mutating func slot(_ kind: String, _ name: String, like p: Tensor) -> (Tensor, fresh: Bool) {
        let key = "\(kind).\(name)"
        if let t = slots[key] { return (t, false) }
        let t = Tensor.zeros(p.shape)
        slots[key] = t
        return (t, true)
    }

    func check(_ state: OptimizerState, groups: [ParameterGroup], kinds: [String]) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for g in groups {
            for (name, p) in g.parameters {
                for kind in kinds {
                    let key = "\(kind).\(name)"
                    guard let t = state.tensors[key] else { continue }   // never stepped: fine
                    guard t.shape == p.shape else {
                        throw OptimizerError.shapeMismatch(key, expected: p.shape, got: t.shape)
                    }
                    out[key] = t.copy()
                }
            }
        }
        return out
    }
}
