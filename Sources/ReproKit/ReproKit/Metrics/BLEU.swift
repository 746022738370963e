import Foundation

/// A corpus BLEU score (Papineni et al., 2002) with what it is made of, as sacreBLEU's
/// `BLEUScore` reports it.
public struct BLEUScore: Sendable, Equatable, Encodable, CustomStringConvertible {
    /// BLEU in [0, 100].
    public let score: Double
    /// Clipped n-gram matches for n = 1…4.
    public let counts: [Int]
    /// Hypothesis n-grams for n = 1…4.
    public let totals: [Int]
    /// n-gram precisions in percent (smoothed where a count is 0, as sacreBLEU's 'exp').
    public let precisions: [Double]
    /// The brevity penalty, exp(1 − ref_len / sys_len) when the hypotheses are shorter.
    public let bp: Double
    /// Tokens in all hypotheses.
    public let sysLen: Int
    /// Tokens in the references, for each hypothesis the one closest in length.
    public let refLen: Int
    /// How the score was computed, in sacreBLEU's signature format, e.g.
    /// "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0" (the version is that of
    /// the sacreBLEU whose scores these reproduce).
    public let signature: String

    /// sys_len / ref_len (0 without reference tokens).
    public var ratio: Double { refLen == 0 ? 0 : Double(sysLen) / Double(refLen) }

    /// sacreBLEU's text form, e.g.
    /// "BLEU = 34.16 65.2/40.0/27.3/19.0 (BP = 1.000 ratio = 1.000 hyp_len = 10 ref_len = 10)".
    public var description: String {
        let p = precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
        return "BLEU = \(String(format: "%.2f", score)) \(p) (BP = \(String(format: "%.3f", bp)) "
            + "ratio = \(String(format: "%.3f", ratio)) hyp_len = \(sysLen) ref_len = \(refLen))"
    }

    enum CodingKeys: String, CodingKey {
        case score, counts, totals, precisions, bp, ratio, signature
        case sysLen = "sys_len", refLen = "ref_len"
    }

    /// sacreBLEU's field names, with the ratio.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(score, forKey: .score); try c.encode(counts, forKey: .counts)
        try c.encode(totals, forKey: .totals); try c.encode(precisions, forKey: .precisions)
        try c.encode(bp, forKey: .bp); try c.encode(ratio, forKey: .ratio)
        try c.encode(sysLen, forKey: .sysLen); try c.encode(refLen, forKey: .refLen)
        try c.encode(signature, forKey: .signature)
    }
}

/// Corpus BLEU exactly as sacreBLEU's `corpus_bleu` computes it with its defaults: 13a
/// tokenisation, case kept, n-grams up to 4, 'exp' smoothing, no effective order, any number
/// of references (n-gram counts clipped by their maximum over the references; the reference
/// length closest to the hypothesis', the shorter on a tie).
public enum BLEU {
    /// The sacreBLEU release these scores are checked against (Tests/Fixtures/bleu.json).
    public static let sacreBLEUVersion = "2.6.0"
    /// The largest n-gram order.
    public static let maxOrder = 4

    /// Corpus BLEU of `hypotheses` against reference streams, each stream one reference per
    /// hypothesis (`references[k][i]` is the k-th reference of hypothesis i), as in sacreBLEU.
    public static func corpusScore(hypotheses: [String], references: [[String]]) throws -> BLEUScore {
        try TextMetricError.check(hypotheses: hypotheses.count, references: references)
        let total = statistics(hypotheses: hypotheses, references: references).reduce(into: Statistics()) { $0.add($1) }
        return score(total, references: references.count)
    }

    /// The sufficient statistics of BLEU; those of a corpus are the sums over its sentences.
    struct Statistics {
        var sysLen = 0, refLen = 0
        var correct = [Int](repeating: 0, count: BLEU.maxOrder)
        var total = [Int](repeating: 0, count: BLEU.maxOrder)

        mutating func add(_ o: Statistics) {
            sysLen += o.sysLen; refLen += o.refLen
            for n in 0..<BLEU.maxOrder { correct[n] += o.correct[n]; total[n] += o.total[n] }
        }
    }

    /// The statistics of each sentence (the streams already checked).
    static func statistics(hypotheses: [String], references: [[String]]) -> [Statistics] {
        var vocabulary = Vocabulary()
        return hypotheses.indices.map { i in
            var refCounts: [[Int]: Int] = [:]
            var refLens: [Int] = []
            for stream in references {
                let ids = vocabulary.ids(stream[i])
                refLens.append(ids.count)
                refCounts.merge(ngramCounts(ids), uniquingKeysWith: max)
            }
            let hyp = vocabulary.ids(hypotheses[i])
            var s = Statistics()
            s.sysLen = hyp.count
            s.refLen = closest(to: hyp.count, among: refLens)
            for (ngram, count) in ngramCounts(hyp) {
                s.total[ngram.count - 1] += count
                s.correct[ngram.count - 1] += min(count, refCounts[ngram] ?? 0)
            }
            return s
        }
    }

    /// The score of (summed) statistics: sacreBLEU's `BLEU.compute_bleu` with 'exp' smoothing.
    static func score(_ s: Statistics, references: Int) -> BLEUScore {
        var bp = 1.0
        if s.sysLen < s.refLen {
            bp = s.sysLen > 0 ? exp(1 - Double(s.refLen) / Double(s.sysLen)) : 0
        }
        var precisions = [Double](repeating: 0, count: maxOrder)
        var value = 0.0
        if s.correct.contains(where: { $0 != 0 }) {
            var smooth = 1.0
            for n in 0..<maxOrder {
                // An order without any hypothesis n-gram keeps precision 0, so BLEU is 0.
                guard s.total[n] > 0 else { break }
                if s.correct[n] == 0 {
                    smooth *= 2    // 'exp': 1/2, 1/4, … of a match for each order without one
                    precisions[n] = 100 / (smooth * Double(s.total[n]))
                } else {
                    precisions[n] = 100 * Double(s.correct[n]) / Double(s.total[n])
                }
            }
            // sacreBLEU's my_log floors log(0) at -9999999999; summed in the same order.
            let logSum = precisions.reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
            value = bp * exp(logSum / Double(maxOrder))
        }
        return BLEUScore(score: value, counts: s.correct, totals: s.total, precisions: precisions, bp: bp,
                         sysLen: s.sysLen, refLen: s.refLen,
                         signature: "nrefs:\(references)|case:mixed|eff:no|tok:13a|smooth:exp|version:\(sacreBLEUVersion)")
    }

    /// The reference length closest to `length`; the shorter one on a tie.
    static func closest(to length: Int, among lengths: [Int]) -> Int {
        lengths.min { a, b in
            let da = abs(a - length), db = abs(b - length)
            return da != db ? da < db : a < b
        } ?? 0
    }

    /// Counts of every n-gram of token ids, n = 1…maxOrder.
    private static func ngramCounts(_ ids: [Int]) -> [[Int]: Int] {
        var counts: [[Int]: Int] = [:]
        for n in 1...maxOrder where n <= ids.count {
            for start in 0...(ids.count - n) { counts[Array(ids[start..<(start + n)]), default: 0] += 1 }
        }
        return counts
    }

    /// Token ids for a corpus: tokens are compared as code points, like Python strings.
    private struct Vocabulary {
        private var ids: [PythonText.CodePoints: Int] = [:]

        /// The 13a tokens of a line (right-stripped first, as sacreBLEU does) as ids.
        mutating func ids(_ line: String) -> [Int] {
            Tokenizer13a.tokens(PythonText.rstrip(PythonText.codePoints(line))).map { token in
                if let id = ids[token] { return id }
                let id = ids.count
                ids[token] = id
                return id
            }
        }
    }
}
