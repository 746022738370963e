import Foundation

/// A task whose inference `repro bench EXPERIMENT` times beside its training: translation's
/// beam search, a diffusion model's sampling. The work must not depend on the weights (an
/// untrained model's outputs have arbitrary lengths), so a benchmark fixes it.
public protocol InferenceBenchmarking: TrainingTask {
    /// Runs inference on up to `items` held-out inputs, in evaluation mode; returns how many it
    /// handled and what was timed, in words.
    func benchmarkInference(items: Int) throws -> (count: Int, what: String)
}
