/// Which examples form batch `b` of epoch `e`: a seeded shuffle per epoch, so a batch
/// depends on (seed, epoch, batch) alone and a resumed run sees the same data.
public final class EpochSampler: BatchSampler {
    public let count: Int
    public let batchSize: Int
    public let dropLast: Bool
    private let rng: RNG
    private var cached: (epoch: Int, order: [Int])?

    /// Batches of `batchSize` from `count` examples, reshuffled every epoch from `rng`.
    /// With `dropLast`, a last batch smaller than `batchSize` is skipped (unless every batch
    /// would be: fewer examples than one batch).
    /// - Throws: `DataError.invalid` when there are no examples or `batchSize` is below 1.
    public init(count: Int, batchSize: Int, dropLast: Bool = true, rng: RNG) throws {
        guard batchSize >= 1 else {
            throw DataError.invalid("batch_size must be at least 1, got \(batchSize); set it to a positive number")
        }
        guard count >= 1 else {
            throw DataError.invalid("no examples to draw batches from (the training set is empty); "
                + "check the data set and any subset size")
        }
        self.count = count
        self.batchSize = batchSize
        self.dropLast = dropLast && count >= batchSize
        self.rng = rng
    }

    /// Batches per epoch.
    public var batches: Int {
        // Not (count + batchSize - 1) / batchSize: that overflows for a batch size near Int.max.
        dropLast ? count / batchSize : (count - 1) / batchSize + 1
    }

    /// The shuffled order of epoch `epoch`.
    public func order(epoch: Int) -> [Int] {
        if let c = cached, c.epoch == epoch { return c.order }
        var r = rng.split(UInt64(epoch))
        let o = r.permutation(count)
        cached = (epoch, o)
        return o
    }

    /// The example indices of batch `batch` in epoch `epoch`.
    public func indices(epoch: Int, batch: Int) -> [Int] {
        let o = order(epoch: epoch)
        let lo = batch * batchSize, hi = lo + Swift.min(batchSize, count - lo)
        return Array(o[lo..<hi])
    }

    /// An RNG for this batch's augmentation, independent of everything else.
    public func augmentationRNG(epoch: Int, batch: Int) -> RNG {
        rng.split(0xA06_0000 &+ UInt64(epoch)).split(UInt64(batch))
    }
}
