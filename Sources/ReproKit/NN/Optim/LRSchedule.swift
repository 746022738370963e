import Foundation

/// Learning-rate schedules as plain functions of the step (0-based): `lr(at:)` returns the
/// rate to use for that step. A schedule never holds state, so resuming at step k gives
/// the same rate as an uninterrupted run.
public indirect enum LRSchedule: Codable, Equatable, Sendable {
    /// η throughout.
    case constant(Double)
    /// η·γ^(number of milestones ≤ step) — ResNet's ÷10 at 32k and 48k iterations.
    case multiStep(Double, milestones: [Int], gamma: Double)
    /// η·γ^⌊step / every⌋.
    case step(Double, every: Int, gamma: Double)
    /// Cosine from η down to `minimum` over `total` steps, then `minimum`.
    case cosine(Double, total: Int, minimum: Double)
    /// Linear ramp from 0 to the inner schedule's value over `steps`, then the inner
    /// schedule (counted from the start of training).
    case linearWarmup(steps: Int, then: LRSchedule)
    /// The Transformer's: d_model^−0.5 · min(s^−0.5, s · warmup^−1.5), s = step + 1, times `scale`.
    case inverseSquareRoot(dModel: Int, warmup: Int, scale: Double)

    public func lr(at step: Int) -> Double {
        switch self {
        case .constant(let lr):
            return lr
        case .multiStep(let lr, let milestones, let gamma):
            return lr * pow(gamma, Double(milestones.filter { $0 <= step }.count))
        case .step(let lr, let every, let gamma):
            return lr * pow(gamma, Double(step / max(every, 1)))
        case .cosine(let lr, let total, let minimum):
            if step >= total { return minimum }
            return minimum + (lr - minimum) * 0.5 * (1 + cos(Double.pi * Double(step) / Double(total)))
        case .linearWarmup(let steps, let inner):
            let base = inner.lr(at: step)
            return step < steps ? base * Double(step + 1) / Double(steps) : base
        case .inverseSquareRoot(let d, let warmup, let scale):
            let s = Double(step + 1)
            return scale * pow(Double(d), -0.5) * min(pow(s, -0.5), s * pow(Double(warmup), -1.5))
        }
    }
}
