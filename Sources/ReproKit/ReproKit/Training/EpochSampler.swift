/// Which examples form batch `b` of epoch `e`: a seeded shuffle per epoch, so a batch
/// depends on (seed, epoch, batch) alone and a resumed run sees the same data.
public final class EpochSampler {
    public let count: Int
    public let batchSize: Int
    public let dropLast: Bool
    private let rng: RNG
    private var cached: (epoch: Int, order: [Int])?

    public init(count: Int, batchSize: Int, dropLast: Bool = true, rng: RNG) {
        precondition(count > 0 && batchSize > 0, "EpochSampler needs examples and a batch size")
        self.count = count
        self.batchSize = batchSize
        self.dropLast = dropLast && count >= batchSize
        self.rng = rng
    }

    /// Batches per epoch.
    public var batches: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

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
        let lo = batch * batchSize, hi = Swift.min(lo + batchSize, count)
        return Array(o[lo..<hi])
    }

    /// An RNG for this batch's augmentation, independent of everything else.
    public func augmentationRNG(epoch: Int, batch: Int) -> RNG {
        rng.split(0xA06_0000 &+ UInt64(epoch)).split(UInt64(batch))
    }
}
