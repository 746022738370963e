/// Which examples form each batch of each epoch.
///
/// A batch must depend on (seed, epoch, batch) alone — never on what was drawn before — so
/// a run resumed at batch b of epoch e sees exactly the data an uninterrupted run would.
public protocol BatchSampler {
    /// Batches per epoch, the same every epoch: a training plan, its learning-rate schedule
    /// and a resumed run's step count are computed from it.
    var batches: Int { get }

    /// The example indices of batch `batch` (in 0..<batches) of epoch `epoch`.
    func indices(epoch: Int, batch: Int) -> [Int]
}
