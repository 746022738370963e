import Foundation

/// A generative model's task whose trained weights draw new samples: `repro sample RUN`
/// restores the run's checkpoint (weights and the task's state, an EMA say) and calls this.
public protocol SamplingTask: TrainingTask {
    /// Draws `count` samples from the random stream `seed` and writes them as pictures into
    /// `folder` (names that say the seed and count, so draws do not overwrite each other);
    /// returns the file names written.
    func drawSamples(count: Int, seed: UInt64, in folder: URL) throws -> [String]
}
