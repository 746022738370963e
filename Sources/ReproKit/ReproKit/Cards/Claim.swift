import Foundation

/// A qualitative finding of the paper, stated as a comparison of two variants of an
/// experiment on one metric (averaged over seeds), or of two metrics of the same runs
/// (`compare = "v.ensemble_accuracy > v.accuracy"`: a paired comparison, free of the noise
/// between trainings), with the outcome observed at mini scale.
/// `verify` checks that the outcome is still the recorded one: a claim that does not hold at
/// this scale is recorded as such, never tuned away.
public struct Claim: Equatable, Sendable {
    public enum Operator: String, CaseIterable, Sendable {
        case greater = ">", less = "<", greaterOrEqual = ">=", lessOrEqual = "<="
    }

    public let statement: String
    /// Where the paper shows it ("Fig. 6 (left)").
    public let paper: String
    /// The metric compared (the left side's, when the sides name their own).
    public let metric: String
    public let left: String
    public let op: Operator
    public let right: String
    /// The metric of each side: `metric`, unless the card wrote `VARIANT.METRIC`.
    public let leftMetric: String, rightMetric: String
    /// The right side is scaled by this before comparing: `tanh > relu` with factor 6 reads
    /// "tanh's value exceeds six times relu's" (1: a plain comparison).
    public let factor: Double
    /// The left variant must beat the (scaled) right one by more than this (0: a plain comparison).
    public let margin: Double
    /// The outcome recorded in the card: true for "holds", false for "does not hold".
    public let recordedOutcome: Bool
    /// The outcome recorded for `--quick` runs when it differs (a few dozen steps can be too
    /// early for a claim about trained nets); nil: the same as `recordedOutcome`.
    public let recordedQuickOutcome: Bool?
    /// False when the card says `outcome_quick = "not judged"`: quick runs show the
    /// comparison but it is within their noise, so it passes either way.
    public let judgedInQuick: Bool
    /// The figures behind the recorded outcome.
    public let observed: String

    public init(statement: String, paper: String, metric: String, left: String, op: Operator,
                right: String, leftMetric: String? = nil, rightMetric: String? = nil, factor: Double = 1,
                margin: Double = 0, recordedOutcome: Bool, recordedQuickOutcome: Bool? = nil,
                judgedInQuick: Bool = true, observed: String) {
        self.leftMetric = leftMetric ?? metric
        self.rightMetric = rightMetric ?? metric
        self.recordedQuickOutcome = recordedQuickOutcome
        self.judgedInQuick = judgedInQuick
        self.factor = factor
        self.statement = statement
        self.paper = paper
        self.metric = metric
        self.left = left
        self.op = op
        self.right = right
        self.margin = margin
        self.recordedOutcome = recordedOutcome
        self.observed = observed
    }

    /// "plain32 > plain8", "tanh > 6 × relu", "mini.ensemble_accuracy > mini.accuracy".
    public var compareText: String {
        "\(side(left, leftMetric)) \(op.rawValue) " + (factor == 1 ? "" : "\(CardNumber.short(factor)) × ")
            + side(right, rightMetric)
    }

    /// A side as the card writes it: the variant, with its metric when the sides differ in it.
    func side(_ variant: String, _ sideMetric: String) -> String {
        leftMetric == rightMetric ? variant : "\(variant).\(sideMetric)"
    }

    /// A side of `compare`: "VARIANT" or "VARIANT.METRIC".
    public static func parseSide(_ text: String) -> (variant: String, metric: String?) {
        guard let dot = text.firstIndex(of: ".") else { return (text, nil) }
        return (String(text[..<dot]), String(text[text.index(after: dot)...]))
    }

    /// Parses "SIDE OP SIDE" (spaces around OP optional), each side a variant or
    /// VARIANT.METRIC; nil if malformed.
    public static func parseCompare(_ text: String) -> (left: String, op: Operator, right: String)? {
        // Two-character operators first, so that ">=" is not read as ">" then "=".
        for op in [Operator.greaterOrEqual, .lessOrEqual, .greater, .less] {
            guard let r = text.range(of: op.rawValue) else { continue }
            let left = text[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
            let right = text[r.upperBound...].trimmingCharacters(in: .whitespaces)
            let isName = { (s: String) in
                !s.isEmpty && !s.contains(where: { $0.isWhitespace || "<>=!".contains($0) })
            }
            return isName(left) && isName(right) ? (left, op, right) : nil
        }
        return nil
    }

    /// Whether `l OP factor·r` holds with the margin: for > and >= the left must exceed the right
    /// by more than (at least) the margin; for < and <= it must fall below it so.
    public func holds(left l: Double, right unscaled: Double) -> Bool {
        let r = factor * unscaled
        switch op {
        case .greater: return l - r > margin
        case .greaterOrEqual: return l - r >= margin
        case .less: return r - l > margin
        case .lessOrEqual: return r - l >= margin
        }
    }

    /// Evaluates the claim on the means over seeds, `means[variant][metric]`. Throws if a
    /// variant or the metric is missing, or a mean is not finite (a diverged run is a fact to
    /// look at, not a comparison).
    public func evaluate(means: [String: [String: Double]], quick: Bool = false) throws -> ClaimVerdict {
        let recordedOutcome = self.recorded(quick: quick)
        func mean(_ variant: String, _ metric: String) throws -> Double {
            guard let metrics = means[variant] else {
                throw ClaimError("claim '\(statement)': no runs of variant '\(variant)'")
            }
            guard let v = metrics[metric] else {
                throw ClaimError("claim '\(statement)': variant '\(variant)' has no metric '\(metric)'"
                    + CardSuggest.didYouMean(metric, Array(metrics.keys)))
            }
            guard v.isFinite else {
                throw ClaimError("claim '\(statement)': the mean \(metric) of variant '\(variant)' is \(v)")
            }
            return v
        }
        let l = try mean(left, leftMetric), r = try mean(right, rightMetric)
        let holdsNow = holds(left: l, right: r)
        let judged = !quick || judgedInQuick
        let matches = !judged || holdsNow == recordedOutcome
        let marginText = margin == 0 ? "" : " + margin \(CardNumber.short(margin))"
        let factorText = factor == 1 ? "" : "\(CardNumber.short(factor)) × "
        let named = leftMetric == rightMetric ? "\(metric) " : ""
        let text = "\(matches ? "✓" : "✗") \(statement): \(named)\(side(left, leftMetric)) \(CardNumber.significant(l, 4)) "
            + "\(op.rawValue) \(factorText)\(side(right, rightMetric)) \(CardNumber.significant(r, 4))\(marginText) "
            + "\(Self.outcomeText(holdsNow)), "
            + (!judged ? "not judged at quick scale" : matches ? "as recorded"
                : "but the card records \(Self.outcomeText(recordedOutcome))")
        return ClaimVerdict(leftValue: l, rightValue: r, observedHolds: holdsNow,
                            matchesRecorded: matches, text: text)
    }

    /// The outcome the card records for full (or quick) runs.
    public func recorded(quick: Bool) -> Bool { quick ? recordedQuickOutcome ?? recordedOutcome : recordedOutcome }

    /// The recorded outcome as the card writes it, "not judged" included.
    public func recordedText(quick: Bool) -> String {
        quick && !judgedInQuick ? "not judged" : Self.outcomeText(recorded(quick: quick))
    }

    /// "holds" or "does not hold", as written in cards.
    public static func outcomeText(_ holds: Bool) -> String { holds ? "holds" : "does not hold" }
}

/// The outcome of evaluating a claim on the current runs.
public struct ClaimVerdict: Equatable, Sendable {
    /// The means of the metric for the left and right variants.
    public let leftValue: Double
    public let rightValue: Double
    /// Whether the comparison holds on these runs.
    public let observedHolds: Bool
    /// The verify criterion: the outcome seen now is the one the card records.
    public let matchesRecorded: Bool
    /// One line: "✓ STATEMENT: metric plain32 0.131 > plain8 0.104 holds, as recorded".
    public let text: String
}

/// A claim that cannot be evaluated on the runs given.
public struct ClaimError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
