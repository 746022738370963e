/// A corpus chrF score (Popović, 2015), as sacreBLEU's `CHRFScore` reports it.
public struct ChrFScore: Sendable, Equatable, Encodable, CustomStringConvertible {
    /// chrF in [0, 100].
    public let score: Double
    /// The character n-gram order (6).
    public let charOrder: Int
    /// β: recall counts β times as much as precision (2).
    public let beta: Int
    /// How the score was computed, in sacreBLEU's signature format, e.g.
    /// "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0".
    public let signature: String

    /// "chrF2", sacreBLEU's name for it.
    public var name: String { "chrF\(beta)" }

    /// sacreBLEU's text form, e.g. "chrF2 = 56.78".
    public var description: String { "\(name) = \(String(format: "%.2f", score))" }

    enum CodingKeys: String, CodingKey {
        case score, beta, signature
        case charOrder = "char_order"
    }
}

/// Corpus chrF exactly as sacreBLEU's `corpus_chrf` computes it with its defaults:
/// character n-grams of 1…6 code points with whitespace removed, no word n-grams, β = 2,
/// case kept, the average precision and recall over the orders both sides have n-grams of
/// (sacreBLEU's "effective order", eps_smoothing off). With several references, each
/// sentence counts its statistics against the reference with the best sentence chrF.
public enum ChrF {
    /// The character n-gram order.
    public static let charOrder = 6
    /// β of the F-score.
    public static let beta = 2

    /// Corpus chrF of `hypotheses` against reference streams (`references[k][i]` is the
    /// k-th reference of hypothesis i), as in sacreBLEU.
    public static func corpusScore(hypotheses: [String], references: [[String]]) throws -> ChrFScore {
        try TextMetricError.check(hypotheses: hypotheses.count, references: references)
        var total = [Int](repeating: 0, count: 3 * charOrder)
        for i in hypotheses.indices {
            let hyp = ngramCounts(hypotheses[i])
            var best: [Int] = [], bestF = -1.0
            for stream in references {
                let stats = matchStatistics(hyp, ngramCounts(stream[i]))
                let f = fScore(stats)
                if f > bestF { bestF = f; best = stats }    // the first of equals wins
            }
            for k in total.indices { total[k] += best[k] }
        }
        return ChrFScore(score: fScore(total), charOrder: charOrder, beta: beta,
                         signature: "nrefs:\(references.count)|case:mixed|eff:yes|nc:\(charOrder)|nw:0|space:no|version:\(BLEU.sacreBLEUVersion)")
    }

    /// For each order n = 1…6, the counts of the n-grams of a line without its whitespace.
    private static func ngramCounts(_ line: String) -> [[PythonText.CodePoints: Int]] {
        let chars = PythonText.codePoints(line).filter { !PythonText.isSpace($0) }
        return (1...charOrder).map { n in
            var counts: [PythonText.CodePoints: Int] = [:]
            if n <= chars.count {
                for start in 0...(chars.count - n) { counts[Array(chars[start..<(start + n)]), default: 0] += 1 }
            }
            return counts
        }
    }

    /// [hypothesis n-grams, reference n-grams, matches] for each order, flattened. Like
    /// sacreBLEU, hypothesis n-grams count as 0 for an order the reference has none of.
    private static func matchStatistics(_ hyp: [[PythonText.CodePoints: Int]],
                                        _ ref: [[PythonText.CodePoints: Int]]) -> [Int] {
        zip(hyp, ref).flatMap { h, r -> [Int] in
            var hypCount = 0, matches = 0
            for (ngram, count) in h {
                hypCount += count
                matches += min(count, r[ngram] ?? 0)
            }
            return [r.isEmpty ? 0 : hypCount, r.values.reduce(0, +), matches]
        }
    }

    /// sacreBLEU's `CHRF._compute_f_score` without eps smoothing, operation for operation.
    private static func fScore(_ stats: [Int]) -> Double {
        let factor = Double(beta * beta)
        var avgPrec = 0.0, avgRec = 0.0, effectiveOrder = 0
        for n in 0..<charOrder {
            let hyp = stats[3 * n], ref = stats[3 * n + 1], match = stats[3 * n + 2]
            if hyp > 0 && ref > 0 {
                avgPrec += Double(match) / Double(hyp)
                avgRec += Double(match) / Double(ref)
                effectiveOrder += 1
            }
        }
        guard effectiveOrder > 0 else { return 0 }
        avgPrec /= Double(effectiveOrder)
        avgRec /= Double(effectiveOrder)
        guard avgPrec + avgRec != 0 else { return 0 }
        return 100 * ((1 + factor) * avgPrec * avgRec / (factor * avgPrec + avgRec))
    }
}
