/// Batches of sequences of similar length, so a padded batch is mostly real tokens (Vaswani
/// et al. 2017: "sentence pairs were batched together by approximate sequence length").
///
/// The examples are sorted by length and cut, in that order, into batches of at most
/// `batchSize` examples and at most `maxTokens` padded tokens (examples × longest length).
/// Every epoch, examples of equal length are shuffled among themselves and the batches are
/// visited in a shuffled order, both drawn from (seed, epoch). Shuffling only among equal
/// lengths leaves the sorted sequence of lengths, hence the cut points, the same every epoch:
/// the number of batches stays fixed (a training plan needs that) while which examples meet
/// in a batch still changes. Each epoch visits every example exactly once.
public final class LengthBucketedSampler: BatchSampler {
    /// The length (tokens) of each example.
    public let lengths: [Int]
    /// At most this many padded tokens per batch, if set.
    public let maxTokens: Int?
    /// At most this many examples per batch, if set.
    public let batchSize: Int?
    private let rng: RNG
    /// Batch k covers positions `cuts[k]` of the length-sorted order.
    private let cuts: [Range<Int>]
    private var cached: (epoch: Int, sorted: [Int], batchOrder: [Int])?

    /// - Parameters:
    ///   - lengths: one length per example (e.g. tokens in a sentence pair's longer side).
    ///   - maxTokens: the cap on examples × longest length in a batch.
    ///   - batchSize: the cap on examples per batch. At least one of the two caps is needed.
    /// - Throws: `DataError.invalid` for no examples, a negative length, no cap, a cap below 1,
    ///   or an example longer than `maxTokens` (it fits no batch).
    public init(lengths: [Int], maxTokens: Int? = nil, batchSize: Int? = nil, rng: RNG) throws {
        guard !lengths.isEmpty else {
            throw DataError.invalid("no examples to draw batches from (the data set is empty); check the data set")
        }
        if let i = lengths.firstIndex(where: { $0 < 0 }) {
            throw DataError.invalid("example \(i) has length \(lengths[i]); lengths must be 0 or more")
        }
        guard maxTokens != nil || batchSize != nil else {
            throw DataError.invalid("a length-bucketed sampler needs max_tokens or batch_size; set one of them")
        }
        if let b = batchSize, b < 1 {
            throw DataError.invalid("batch_size must be at least 1, got \(b); set it to a positive number")
        }
        if let m = maxTokens {
            guard m >= 1 else {
                throw DataError.invalid("max_tokens must be at least 1, got \(m); set it to a positive number")
            }
            if let i = lengths.indices.max(by: { lengths[$0] < lengths[$1] }), lengths[i] > m {
                throw DataError.invalid("example \(i) has \(lengths[i]) tokens, more than max_tokens \(m); "
                    + "raise max_tokens to at least \(lengths[i]) or leave out examples longer than it")
            }
        }
        self.lengths = lengths
        self.maxTokens = maxTokens
        self.batchSize = batchSize
        self.rng = rng
        cuts = LengthBucketedSampler.cut(lengths.sorted(), maxTokens: maxTokens, batchSize: batchSize)
    }

    /// Batches per epoch.
    public var batches: Int { cuts.count }

    /// The example indices of batch `batch` in epoch `epoch`, shortest first.
    public func indices(epoch: Int, batch: Int) -> [Int] {
        let e = order(epoch: epoch)
        return Array(e.sorted[cuts[e.batchOrder[batch]]])
    }

    /// Epoch `epoch`'s examples sorted by length (ties in a seeded random order), and the
    /// order in which its batches are visited.
    private func order(epoch: Int) -> (sorted: [Int], batchOrder: [Int]) {
        if let c = cached, c.epoch == epoch { return (c.sorted, c.batchOrder) }
        var r = rng.split(UInt64(epoch))
        let rank = r.permutation(lengths.count)
        let sorted = lengths.indices.sorted { (lengths[$0], rank[$0]) < (lengths[$1], rank[$1]) }
        let batchOrder = r.permutation(cuts.count)
        cached = (epoch, sorted, batchOrder)
        return (sorted, batchOrder)
    }

    /// Greedy cut points over ascending `sorted` lengths: a batch grows while it stays within
    /// both caps (the newest example is the longest, so it sets the padded length).
    static func cut(_ sorted: [Int], maxTokens: Int?, batchSize: Int?) -> [Range<Int>] {
        var cuts: [Range<Int>] = []
        var start = 0
        for (i, length) in sorted.enumerated() {
            let n = i - start + 1
            let tooMany = batchSize.map { n > $0 } ?? false
            let tooLong = maxTokens.map { n * length > $0 } ?? false
            if n > 1 && (tooMany || tooLong) {
                cuts.append(start..<i)
                start = i
            }
        }
        cuts.append(start..<sorted.count)
        return cuts
    }
}
