/// Corpus BLEU of the sentences whose source length falls in one bucket.
public struct BLEUBucket: Sendable, Equatable {
    /// The shortest source length in the bucket.
    public let lower: Int
    /// One past the longest source length; nil for the last bucket, which has no limit.
    public let upper: Int?
    /// How many sentences fell in the bucket.
    public let sentences: Int
    /// Their corpus BLEU; nil when the bucket is empty.
    public let score: BLEUScore?
}

extension BLEU {
    /// BLEU by source sentence length, as in Bahdanau et al. (2015), Figure 2: the sentences
    /// are grouped by the length of their source sentence and each group is scored as a
    /// corpus. `edges` [e0, e1, …, ek] (strictly increasing) make the buckets [e0, e1), …,
    /// [ek, ∞); sentences with a source shorter than e0 are left out.
    public static func bySourceLength(sourceLengths: [Int], hypotheses: [String], references: [[String]],
                                      edges: [Int]) throws -> [BLEUBucket] {
        try TextMetricError.check(hypotheses: hypotheses.count, references: references)
        guard sourceLengths.count == hypotheses.count else {
            throw TextMetricError.sourceLengthMismatch(lengths: sourceLengths.count, hypotheses: hypotheses.count)
        }
        guard !edges.isEmpty, zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TextMetricError.badBucketEdges(edges)
        }
        let sentences = statistics(hypotheses: hypotheses, references: references)
        return edges.indices.map { b in
            let lower = edges[b]
            let upper: Int? = b + 1 < edges.count ? edges[b + 1] : nil
            let members = sourceLengths.indices.filter { sourceLengths[$0] >= lower && sourceLengths[$0] < (upper ?? .max) }
            guard !members.isEmpty else { return BLEUBucket(lower: lower, upper: upper, sentences: 0, score: nil) }
            let sum = members.reduce(into: Statistics()) { $0.add(sentences[$1]) }
            return BLEUBucket(lower: lower, upper: upper, sentences: members.count,
                              score: score(sum, references: references.count))
        }
    }
}
